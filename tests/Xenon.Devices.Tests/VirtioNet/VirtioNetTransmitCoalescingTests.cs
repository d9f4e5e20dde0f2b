using Xenon.Machine.IoEvents;

namespace Xenon.Devices.Tests.VirtioNet;

/// <summary>Transmit-completion interrupt moderation: completions are published at once, their interrupt waits
/// <c>TransmitCoalesceNanoseconds</c> and is shared by every completion in the window.</summary>
public sealed class VirtioNetTransmitCoalescingTests
{
    private const long Window = 100_000_000; // 100 ms: long enough that three kicks land inside it on a busy host

    [Fact]
    public void CompletionsInTheWindowShareOneInterruptRaisedWhenItEnds()
    {
        using var rig = new NetRig();
        using var loop = new IoEventLoop("net-coalesce-test");
        rig.Device.TransmitCoalesceNanoseconds = Window;
        rig.Device.AttachTo(loop);

        for (int i = 0; i < 3; i++) rig.Transmit(NetRig.Header(), NetRig.Frame(200 + i));

        Assert.Equal(3, rig.Tx.UsedIdx); // the driver can reap them before any interrupt
        Assert.Equal(3, rig.Backend.Sent.Count);
        Assert.Equal(0, rig.Interrupt.Signals(1));
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref rig.Interrupt.SignalCount(1)) == 1, 5000),
            $"no transmit interrupt within 5 s of a {Window / 1_000_000} ms window");
        Thread.Sleep(150);
        Assert.Equal(1, rig.Interrupt.Signals(1));
        Assert.Equal(0, rig.Interrupt.Signals(0));
        rig.Device.Detach();
    }

    [Fact]
    public void ResetDropsAPendingInterrupt()
    {
        using var rig = new NetRig();
        using var loop = new IoEventLoop("net-coalesce-test");
        rig.Device.TransmitCoalesceNanoseconds = 20_000_000;
        rig.Device.AttachTo(loop);
        rig.Transmit(NetRig.Header(), NetRig.Frame(100));
        rig.Device.Reset();
        Thread.Sleep(200);
        Assert.Equal(0, rig.Interrupt.Signals(1));
        rig.Device.Detach();
    }

    [Fact]
    public void WithoutAnAttachedLoopOrWithAZeroWindowTheInterruptIsImmediate()
    {
        using (var rig = new NetRig())
        {
            rig.Device.TransmitCoalesceNanoseconds = Window; // no loop: nothing to time the window with
            rig.Transmit(NetRig.Header(), NetRig.Frame(100));
            Assert.Equal(1, rig.Interrupt.Signals(1));
        }
        using (var rig = new NetRig())
        {
            using var loop = new IoEventLoop("net-coalesce-test");
            rig.Device.AttachTo(loop);
            rig.Transmit(NetRig.Header(), NetRig.Frame(100));
            Assert.Equal(1, rig.Interrupt.Signals(1));
            rig.Device.Detach();
        }
    }
}
