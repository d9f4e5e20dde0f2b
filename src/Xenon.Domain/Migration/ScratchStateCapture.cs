using Xenon.Machine.Backend;
using Xenon.Machine.Backend.Kvm;
using Xenon.Machine.Cpu;
using Xenon.Machine.Memory;
using Xenon.Machine.Soft;
using Xenon.Machine.State;

namespace Xenon.Domain.Migration;

/// <summary>
/// Captures the state of a throwaway VM of the domain's own backend (one vCPU, interrupt controllers, no guest RAM
/// the domain uses), so that the sender's warm-up runs the real capture code (the state reads, the conversions, the
/// collections they fill) while the guest's own vCPUs keep running: reading one of those needs a pause. Code run for
/// the first time inside the downtime was measured at 5.8–7.3 ms of JIT on the software CPU's first migration.
/// The scratch VM is gone when this returns.
/// </summary>
internal static class ScratchStateCapture
{
    /// <summary>The scratch VM's vCPU state, and its platform state where reading the domain's own platform while it
    /// runs is not known to be safe (the software platform; KVM's is read with ioctls that change nothing, so
    /// <see cref="ScratchState.Platform"/> is null there). Null for a backend this does not know.</summary>
    /// <exception cref="Exception">The backend refused a step (the caller falls back to a synthetic state).</exception>
    public static ScratchState? Capture(IVmBackend backend) => backend switch
    {
        KvmVmBackend kvm => CaptureKvm(kvm),
        SoftVmBackend => CaptureSoft(),
        _ => null,
    };

    private static ScratchState CaptureKvm(KvmVmBackend kvm)
    {
        // Shares the domain's /dev/kvm handle.
        using var scratch = new KvmVmBackend(kvm.System, ownsSystem: false);
        scratch.CreateInterruptControllers();
        return new ScratchState(CaptureVcpu(scratch), null);
    }

    private static ScratchState CaptureSoft()
    {
        // One page: the soft vCPU reaches RAM through GuestMemory, and the capture reads none of it.
        using var memory = GuestMemory.Create([(0UL, 4096UL)]);
        using var scratch = new SoftVmBackend(memory);
        scratch.CreateInterruptControllers();
        var vcpu = CaptureVcpu(scratch);
        return new ScratchState(vcpu, scratch.GetPlatformState());
    }

    private static VcpuState CaptureVcpu(IVmBackend scratch)
    {
        using var vcpu = scratch.CreateVcpu(0);
        VcpuState? state = null;
        Exception? error = null;
        // On a thread of its own, as a vCPU's state is always read (a backend binds a vCPU to its thread).
        var thread = new Thread(() =>
        {
            try
            {
                vcpu.BindToCurrentThread();
                vcpu.SetCpuid(CpuidBuilder.Build(scratch.GetSupportedCpuid(), 0, ApicIds.ForVcpu(0), 1));
                state = vcpu.GetState();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                error = e;
            }
        }) { IsBackground = true, Name = "migration-warmup" };
        thread.Start();
        thread.Join();
        if (error is not null) throw new InvalidOperationException($"scratch vCPU: {error.Message}", error);
        return state!;
    }
}

/// <summary>What <see cref="ScratchStateCapture"/> read: a vCPU's state, and the platform's where it came from the scratch VM.</summary>
internal sealed record ScratchState(VcpuState Vcpu, PlatformState? Platform);
