using Xenon.Machine.Backend;
using Xenon.Machine.IoEvents;

namespace Xenon.Machine.Tests.IoEvents;

/// <summary>An MMIO doorbell bound with KVM_IOEVENTFD reaches the loop callback without an exit to user space.</summary>
[Trait("Requires", "Kvm")]
public sealed class IoEventBindingKvmTests
{
    private const ulong Doorbell = 0x100000; // first byte above the guest's 1 MiB of RAM

    // mov ax,0xffff; mov ds,ax; mov byte [0x10],0x5a (writes 0xffff0+0x10 = 0x100000); mov al,0x42; out 0x10,al; hlt
    private static readonly byte[] Code =
        [0xB8, 0xFF, 0xFF, 0x8E, 0xD8, 0xC6, 0x06, 0x10, 0x00, 0x5A, 0xB0, 0x42, 0xE6, 0x10, 0xF4];

    private static VcpuExit RunToHalt(TinyRealModeGuest guest, RecordingExitHandler handler)
    {
        VcpuExit exit;
        int runs = 0;
        do exit = guest.Vcpu.Run(handler);
        while (exit.Kind == VcpuExitKind.Io && ++runs < 10);
        return exit;
    }

    [Fact]
    public void DoorbellWriteSignalsTheCallbackInsteadOfAnMmioExitUntilDisposed()
    {
        using var guest = TinyRealModeGuest.Boot(Code, irqchip: false);
        using var loop = new IoEventLoop("test-doorbell");
        using var rung = new SemaphoreSlim(0);
        ulong total = 0;
        var binding = IoEventBinding.Create(guest.Backend, loop, Doorbell, length: 1, count =>
        {
            Interlocked.Add(ref total, count);
            rung.Release();
        });

        var handler = new RecordingExitHandler();
        var exit = RunToHalt(guest, handler);
        Assert.True(exit.Kind == VcpuExitKind.Halt, $"expected a halt, got {exit}; exits: {string.Join("; ", handler.Log)}");
        Assert.Equal(["pio w 0x10 42"], handler.Log);
        Assert.True(rung.Wait(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken), "the doorbell callback never ran");
        Assert.Equal(1ul, Interlocked.Read(ref total));

        binding.Dispose();
        binding.Dispose();
        guest.Restart();
        var after = new RecordingExitHandler();
        exit = RunToHalt(guest, after);
        Assert.Equal(VcpuExitKind.Halt, exit.Kind);
        Assert.Equal(["mmio w 0x100000 5A", "pio w 0x10 42"], after.Log);
    }

    [Fact]
    public void DatamatchIgnoresOtherValues()
    {
        using var guest = TinyRealModeGuest.Boot(Code, irqchip: false);
        using var loop = new IoEventLoop();
        int calls = 0;
        using var binding = IoEventBinding.Create(guest.Backend, loop, Doorbell, length: 1, _ => Interlocked.Increment(ref calls), datamatch: 0x11);

        var handler = new RecordingExitHandler();
        var exit = RunToHalt(guest, handler);
        Assert.Equal(VcpuExitKind.Halt, exit.Kind);
        // 0x5a does not match 0x11, so KVM hands the write to user space as ordinary MMIO.
        Assert.Equal(["mmio w 0x100000 5A", "pio w 0x10 42"], handler.Log);
        Assert.Equal(0, Volatile.Read(ref calls));
    }

    [Fact]
    public void LengthMustBeAnAccessWidth()
    {
        using var guest = TinyRealModeGuest.Boot([0xF4], irqchip: false);
        using var loop = new IoEventLoop();
        Assert.Throws<ArgumentOutOfRangeException>(() => IoEventBinding.Create(guest.Backend, loop, Doorbell, length: 3, _ => { }));
    }
}
