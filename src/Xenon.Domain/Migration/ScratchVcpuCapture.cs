using Xenon.Machine.Backend;
using Xenon.Machine.Backend.Kvm;
using Xenon.Machine.Cpu;
using Xenon.Machine.State;

namespace Xenon.Domain.Migration;

/// <summary>
/// Captures the state of a vCPU of a throwaway KVM VM (one vCPU, in-kernel irqchip, no memory), so that the sender's
/// warm-up runs the real capture code (KVM's state ioctls, the state-support probe, the conversions) while the
/// guest's own vCPUs keep running: reading one of those needs a pause. The scratch VM shares the domain's /dev/kvm
/// handle and is gone when this returns.
/// </summary>
internal static class ScratchVcpuCapture
{
    /// <summary>The scratch vCPU's state, or null when <paramref name="backend"/> is not KVM.</summary>
    /// <exception cref="Exception">KVM refused a step (the caller falls back to a synthetic state).</exception>
    public static VcpuState? Capture(IVmBackend backend)
    {
        if (backend is not KvmVmBackend kvm) return null;
        using var scratch = new KvmVmBackend(kvm.System, ownsSystem: false);
        scratch.CreateInterruptControllers();
        using var vcpu = scratch.CreateVcpu(0);
        VcpuState? state = null;
        Exception? error = null;
        // On a thread of its own, as a vCPU's state is always read (the backend binds a vCPU to its thread).
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
        return state;
    }
}
