using Xenon.Machine.IoEvents;
using Net = Xenon.Devices.Virtio.Net.VirtioNet;

namespace Xenon.Devices.Tests.VirtioNet;

/// <summary>Transmit polling (QEMU's tx=timer, <c>TransmitPollNanoseconds</c>): after a drain that found chains, kicks
/// stay off and a timer looks at the ring again; a look that finds nothing asks for kicks again.</summary>
public sealed class VirtioNetTransmitPollTests
{
    private const long Poll = 50_000_000; // 50 ms: long enough to act inside it on a busy host

    /// <summary>Offers one frame without a kick (the driver saw kicks suppressed).</summary>
    private static void OfferQuietly(NetRig rig, int i)
    {
        var packet = NetRig.Packet(NetRig.Frame(100 + i, seed: i));
        ulong at = NetRig.TxBuffers + (ulong)i * 0x1000;
        rig.Memory.Write(at, packet);
        rig.Tx.Offer(rig.Tx.AddChain((at, (uint)packet.Length, false)));
    }

    [Fact]
    public void KicksStayOffAfterADrainAndTheTimerSendsWhatCameMeanwhile()
    {
        using var rig = new NetRig();
        using var loop = new IoEventLoop("net-poll-test");
        rig.Device.TransmitPollNanoseconds = Poll;
        rig.Device.AttachTo(loop);

        rig.Transmit(NetRig.Header(), NetRig.Frame(100));
        Assert.Single(rig.Backend.Sent);
        Assert.Equal(1, rig.Interrupt.Signals(Net.TransmitQueue)); // completions are not delayed
        Assert.False(rig.TxQueue.NotificationsEnabled);
        Assert.Equal(1, rig.Tx.UsedFlags);                         // NO_NOTIFY: the driver need not kick

        OfferQuietly(rig, 1);
        Assert.True(SpinWait.SpinUntil(() => rig.Device.Stats.TxChains == 2, 5000), "the poll never sent the second frame");
        // That poll found a chain, so it polls once more; the next finds nothing and asks for kicks again.
        Assert.True(SpinWait.SpinUntil(() => rig.Device.Stats.TxPollWakes == 2, 5000), "no second poll");
        Assert.True(SpinWait.SpinUntil(() => rig.Tx.UsedFlags == 0, 5000), "kicks were never asked for again");
        Thread.Sleep(150);
        Assert.Equal(2, rig.Device.Stats.TxPollWakes);
        Assert.Equal(1, rig.Device.Stats.TxKicks);
        Assert.Equal(2, rig.Tx.UsedIdx);
        rig.Device.Detach();
    }

    [Fact]
    public void WithEventIdxAvailEventStopsWhilePolling()
    {
        using var rig = new NetRig(eventIdx: true);
        using var loop = new IoEventLoop("net-poll-test");
        rig.Device.TransmitPollNanoseconds = Poll;
        rig.Device.AttachTo(loop);

        rig.Transmit(NetRig.Header(), NetRig.Frame(100));
        // avail_event stays where kicks were last asked for (0), so the driver's next add needs no kick.
        Assert.Equal(0, rig.Tx.AvailEvent);
        Assert.True(SpinWait.SpinUntil(() => rig.TxQueue.NotificationsEnabled, 5000));
        Assert.Equal(1, rig.Tx.AvailEvent);
        rig.Device.Detach();
    }

    [Fact]
    public void DetachWhilePollingServesTheRingAndAsksForKicks()
    {
        using var rig = new NetRig();
        using var loop = new IoEventLoop("net-poll-test");
        rig.Device.TransmitPollNanoseconds = 10_000_000_000; // never fires within the test
        rig.Device.AttachTo(loop);
        rig.Transmit(NetRig.Header(), NetRig.Frame(100));
        OfferQuietly(rig, 1);

        rig.Device.Detach();
        Assert.Equal(2, rig.Backend.Sent.Count);
        Assert.True(rig.TxQueue.NotificationsEnabled);
        Assert.Equal(0, rig.Tx.UsedFlags);
    }

    [Fact]
    public void QuiesceDropsThePollAndResumeServesTheRing()
    {
        using var rig = new NetRig();
        using var loop = new IoEventLoop("net-poll-test");
        rig.Device.TransmitPollNanoseconds = 20_000_000;
        rig.Device.AttachTo(loop);
        rig.Transmit(NetRig.Header(), NetRig.Frame(100));
        rig.Device.Quiesce();
        OfferQuietly(rig, 1);
        Thread.Sleep(100);
        Assert.Single(rig.Backend.Sent); // nothing moves while quiesced
        Assert.Equal(0, rig.Device.Stats.TxPollWakes);

        rig.Device.Resume();
        Assert.Equal(2, rig.Backend.Sent.Count);
        rig.Device.Detach();
    }

    [Fact]
    public void ResetDropsThePoll()
    {
        using var rig = new NetRig();
        using var loop = new IoEventLoop("net-poll-test");
        rig.Device.TransmitPollNanoseconds = 20_000_000;
        rig.Device.AttachTo(loop);
        rig.Transmit(NetRig.Header(), NetRig.Frame(100));
        rig.Device.Reset();
        Thread.Sleep(100);
        Assert.Equal(0, rig.Device.Stats.TxPollWakes);
        rig.Device.Detach();
    }

    [Fact]
    public void WithoutALoopOrWithZeroKicksAreAskedForAtOnce()
    {
        using (var rig = new NetRig())
        {
            rig.Device.TransmitPollNanoseconds = Poll; // no loop: nothing to poll with
            rig.Transmit(NetRig.Header(), NetRig.Frame(100));
            Assert.True(rig.TxQueue.NotificationsEnabled);
        }
        using (var rig = new NetRig())
        {
            using var loop = new IoEventLoop("net-poll-test");
            rig.Device.AttachTo(loop);
            rig.Transmit(NetRig.Header(), NetRig.Frame(100));
            Assert.True(rig.TxQueue.NotificationsEnabled);
            rig.Device.Detach();
        }
    }
}
