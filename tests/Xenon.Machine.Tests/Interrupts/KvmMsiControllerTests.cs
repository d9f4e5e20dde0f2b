using Xenon.Kvm;
using Xenon.Kvm.Abi;
using Xenon.Machine.Backend;
using Xenon.Machine.Interrupts;
using Xenon.Machine.Tests.IoEvents;

namespace Xenon.Machine.Tests.Interrupts;

/// <summary>KVM_SIGNAL_MSI into a tiny real-mode guest whose IVT routes the vector to a port write.</summary>
[Trait("Requires", "Kvm")]
public sealed class KvmMsiControllerTests
{
    private const byte Vector = 0x30;
    private const ulong HandlerAddress = 0x2000;
    private const int SpuriousVectorRegister = 0xF0;
    private const ulong MsiToApic0 = 0xFEE00000; // physical destination mode, APIC id 0

    // sti; hlt; jmp back to the hlt
    private static readonly byte[] MainCode = [0xFB, 0xF4, 0xEB, 0xFD];

    // mov al,0x77; out 0x10,al; hlt
    private static readonly byte[] HandlerCode = [0xB0, 0x77, 0xE6, 0x10, 0xF4];

    [Fact]
    public void FixedMsiToApicZeroRunsTheGuestsHandlerForThatVector()
    {
        using var guest = TinyRealModeGuest.Boot(MainCode, irqchip: true);
        guest.Memory.Write(HandlerAddress, HandlerCode);
        guest.Memory.Write(Vector * 4ul, [0x00, 0x20, 0x00, 0x00]); // IVT entry: offset 0x2000 (HandlerAddress), segment 0
        EnableLapic(guest.KvmVcpu);
        var msi = new KvmMsiController(guest.Backend.Vm);

        var handler = new RecordingExitHandler();
        VcpuExit? last = null;
        var started = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            guest.Vcpu.BindToCurrentThread();
            started.Set();
            VcpuExit exit;
            do exit = guest.Vcpu.Run(handler);
            while (exit.Kind == VcpuExitKind.Io && handler.Log.Length == 0);
            last = exit;
            guest.KvmVcpu.Unbind();
        }) { IsBackground = true };
        thread.Start();
        Assert.True(started.Wait(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken));
        Thread.Sleep(100); // let the guest reach its hlt; an earlier MSI would wait in the IRR anyway

        msi.SignalMsi(MsiToApic0, Vector); // fixed delivery, edge, vector 0x30
        bool joined = thread.Join(TimeSpan.FromSeconds(10));
        if (!joined)
        {
            guest.Vcpu.Kick();
            thread.Join(TimeSpan.FromSeconds(2));
        }

        Assert.True(joined, $"the guest never ran its vector 0x{Vector:x} handler; exits: {string.Join("; ", handler.Log)}; last {last}");
        Assert.Equal(["pio w 0x10 77"], handler.Log);
        Assert.Equal(0, msi.BlockedCount);
        Assert.Equal(0, msi.RejectedCount);
    }

    [Fact]
    public void MsiToADisabledLapicIsDroppedNotThrown()
    {
        using var guest = TinyRealModeGuest.Boot(MainCode, irqchip: true);
        var msi = new KvmMsiController(guest.Backend.Vm);
        // The local APIC comes out of reset software-disabled (SVR bit 8 clear), so nothing can accept the message.
        msi.SignalMsi(MsiToApic0, Vector);
        Assert.Equal(1, msi.BlockedCount + msi.RejectedCount);
    }

    [Fact]
    public void SignalMsiWithoutTheInKernelIrqchipFailsNamingTheIoctl()
    {
        using var guest = TinyRealModeGuest.Boot([0xF4], irqchip: false);
        var e = Assert.Throws<KvmException>(() => guest.Backend.Vm.SignalMsi(MsiToApic0, Vector));
        Assert.Equal("KVM_SIGNAL_MSI", e.Call);
    }

    private static void EnableLapic(KvmVcpu vcpu)
    {
        vcpu.GetLapic(out KvmLapicState lapic);
        lapic.SetRegister(SpuriousVectorRegister, 0x1FF); // APIC software enable, spurious vector 0xff
        vcpu.SetLapic(lapic);
    }
}
