using Xenon.Domain.Migration;
using Xenon.Machine.Cpu;
using Xenon.Machine.Memory;
using Xenon.Machine.Soft;
using Xenon.Machine.State;

namespace Xenon.Domain.Tests.Migration;

/// <summary>The sender's warm-up reads a throwaway VM's state with the domain's backend's own capture code, so that the
/// first migration's downtime does not compile it; the domain's VM is neither read nor changed.</summary>
public sealed class ScratchStateCaptureTests
{
    [Fact]
    public void TheSoftBackendsScratchStateIsACompleteEncodableState()
    {
        using var memory = GuestMemory.Create([(0UL, 4096UL)]);
        using var domain = new SoftVmBackend(memory);

        var scratch = ScratchStateCapture.Capture(domain);

        Assert.NotNull(scratch);
        Assert.NotEmpty(scratch.Vcpu.Cpuid);
        Assert.Equal(VcpuState.LapicSize, scratch.Vcpu.Lapic.Length);
        Assert.NotEmpty(scratch.Vcpu.Msrs);
        Assert.NotNull(scratch.Platform);
        var vcpu = VcpuStateCodec.Decode(VcpuStateCodec.Encode(scratch.Vcpu));
        Assert.Equal(scratch.Vcpu.Registers.Rip, vcpu.Registers.Rip);
        Assert.Equal(scratch.Vcpu.Msrs.Length, vcpu.Msrs.Length);
        PlatformStateCodec.Decode(PlatformStateCodec.Encode(scratch.Platform));
    }

    [Fact]
    public void TheDomainsOwnVmIsNotTouched()
    {
        using var memory = GuestMemory.Create([(0UL, 4096UL)]);
        using var domain = new SoftVmBackend(memory);

        ScratchStateCapture.Capture(domain);

        // No interrupt controllers were created on the domain's VM: its platform is still absent.
        Assert.Null(domain.PitIrq0Count);
    }

    [Fact]
    public void AfterTheWarmUpADomainVcpusCaptureCompilesNothingOnItsThread()
    {
        using (var warmMemory = GuestMemory.Create([(0UL, 4096UL)]))
        using (var warmDomain = new SoftVmBackend(warmMemory))
            ScratchStateCapture.Capture(warmDomain);
        using var memory = GuestMemory.Create([(0UL, 4096UL)]);
        using var domain = new SoftVmBackend(memory);
        domain.CreateInterruptControllers();
        using var vcpu = domain.CreateVcpu(0);
        long compiled = -1;
        var thread = new Thread(() =>
        {
            vcpu.BindToCurrentThread();
            vcpu.SetCpuid(CpuidBuilder.Build(domain.GetSupportedCpuid(), 0, ApicIds.ForVcpu(0), 1));
            long before = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true);
            vcpu.GetState();
            compiled = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true) - before;
        });
        thread.Start();
        thread.Join();

        Assert.True(compiled == 0, $"the domain vCPU's first capture compiled {compiled} methods the warm-up did not");
    }
}
