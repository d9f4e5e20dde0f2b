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

    [Fact]
    public void HeldCompletionsReachTheUsedRingWithTheirInterruptWhenTheWindowEnds()
    {
        using var rig = new NetRig();
        using var loop = new IoEventLoop("net-coalesce-test");
        rig.Device.TransmitCoalesceNanoseconds = Window;
        rig.Device.TransmitCoalesceHoldsCompletions = true;
        rig.Device.AttachTo(loop);

        var heads = new ushort[3];
        for (int i = 0; i < 3; i++) heads[i] = rig.Transmit(NetRig.Header(), NetRig.Frame(200 + i));

        Assert.Equal(3, rig.Backend.Sent.Count); // the frames left at once
        Assert.Equal(0, rig.Tx.UsedIdx);         // their completions wait for the window
        Assert.Equal(0, rig.Interrupt.Signals(1));
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref rig.Interrupt.SignalCount(1)) == 1, 5000),
            $"no transmit interrupt within 5 s of a {Window / 1_000_000} ms window");
        Assert.Equal(3, rig.Tx.UsedIdx);
        for (int i = 0; i < 3; i++) Assert.Equal((heads[i], 0u), rig.Tx.UsedElement((ushort)i));
        Thread.Sleep(150);
        Assert.Equal(1, rig.Interrupt.Signals(1));
        rig.Device.Detach();
    }

    [Fact]
    public void QuiescePublishesHeldCompletionsSoTheSavedRingsHoldThem()
    {
        using var rig = new NetRig();
        using var loop = new IoEventLoop("net-coalesce-test");
        rig.Device.TransmitCoalesceNanoseconds = Window;
        rig.Device.TransmitCoalesceHoldsCompletions = true;
        rig.Device.AttachTo(loop);
        rig.Transmit(NetRig.Header(), NetRig.Frame(100));
        rig.Transmit(NetRig.Header(), NetRig.Frame(120));
        Assert.Equal(0, rig.Tx.UsedIdx);

        rig.Device.Quiesce();
        Assert.Equal(2, rig.Tx.UsedIdx);
        Assert.Equal(1, rig.Interrupt.Signals(1));
        Thread.Sleep(150); // the window's timer finds nothing left to do
        Assert.Equal(1, rig.Interrupt.Signals(1));
        rig.Device.Resume();
        rig.Device.Detach();
    }

    [Fact]
    public void DetachPublishesHeldCompletionsAndResetDropsThem()
    {
        using (var rig = new NetRig())
        {
            using var loop = new IoEventLoop("net-coalesce-test");
            rig.Device.TransmitCoalesceNanoseconds = Window;
            rig.Device.TransmitCoalesceHoldsCompletions = true;
            rig.Device.AttachTo(loop);
            rig.Transmit(NetRig.Header(), NetRig.Frame(100));
            rig.Device.Detach();
            Assert.Equal(1, rig.Tx.UsedIdx);
            Assert.Equal(1, rig.Interrupt.Signals(1));
        }
        using (var rig = new NetRig())
        {
            using var loop = new IoEventLoop("net-coalesce-test");
            rig.Device.TransmitCoalesceNanoseconds = 20_000_000;
            rig.Device.TransmitCoalesceHoldsCompletions = true;
            rig.Device.AttachTo(loop);
            rig.Transmit(NetRig.Header(), NetRig.Frame(100));
            rig.Device.Reset();
            Thread.Sleep(200);
            Assert.Equal(0, rig.Tx.UsedIdx);
            Assert.Equal(0, rig.Interrupt.Signals(1));
            rig.Device.Detach();
        }
    }

    [Fact]
    public void HoldingWithoutALoopOrWindowCompletesAtOnce()
    {
        using var rig = new NetRig();
        rig.Device.TransmitCoalesceHoldsCompletions = true; // no window, no loop: nothing would release them
        rig.Transmit(NetRig.Header(), NetRig.Frame(100));
        Assert.Equal(1, rig.Tx.UsedIdx);
        Assert.Equal(1, rig.Interrupt.Signals(1));
    }

    [Fact]
    public void HalfTheRingHeldIsPublishedWithoutWaitingForTheWindow()
    {
        using var rig = new NetRig(queueSize: 16);
        using var loop = new IoEventLoop("net-coalesce-test");
        rig.Device.TransmitCoalesceNanoseconds = Window;
        rig.Device.TransmitCoalesceHoldsCompletions = true;
        rig.Device.AttachTo(loop);
        for (int i = 0; i < 8; i++) rig.Transmit(NetRig.Header(), NetRig.Frame(100 + i));
        Assert.Equal(0, rig.Tx.UsedIdx); // eight held: half of 16
        rig.Transmit(NetRig.Header(), NetRig.Frame(300));
        Assert.Equal(9, rig.Tx.UsedIdx); // the ninth publishes them all, itself included
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref rig.Interrupt.SignalCount(1)) == 1, 5000));
        rig.Device.Detach();
    }

    [Fact]
    public void AHeadOfferedMoreTimesThanTheQueueHoldsIsPublishedNotDropped()
    {
        // A driver that offers one head over and over fills the held list; the device then publishes what it holds.
        using var rig = new NetRig(queueSize: 8);
        using var loop = new IoEventLoop("net-coalesce-test");
        rig.Device.TransmitCoalesceNanoseconds = Window;
        rig.Device.TransmitCoalesceHoldsCompletions = true;
        rig.Device.AttachTo(loop);
        ushort head = rig.Transmit(NetRig.Header(), NetRig.Frame(100));
        for (int i = 1; i < 6; i++)
        {
            rig.Tx.Offer(head);
            rig.Device.QueueNotify(Xenon.Devices.Virtio.Net.VirtioNet.TransmitQueue);
        }
        Assert.Equal(6, rig.Backend.Sent.Count);
        Assert.Equal(5, rig.Tx.UsedIdx); // four held, then published with the fifth; the sixth is held
        Assert.True(SpinWait.SpinUntil(() => rig.Tx.UsedIdx == 6, 5000));
        rig.Device.Detach();
    }
}
