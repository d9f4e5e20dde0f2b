using Xenon.Devices.Virtio.Net;
using Net = Xenon.Devices.Virtio.Net.VirtioNet;

namespace Xenon.Devices.Tests.VirtioNet;

/// <summary>The device's diagnostics (<see cref="VirtioNetStats"/>): kicks, chains, interrupts sent and suppressed as the
/// driver's used_event asks, and the histograms behind them.</summary>
public sealed class VirtioNetStatsTests
{
    [Fact]
    public void TransmitKicksChainsAndInterruptsAreCounted()
    {
        using var rig = new NetRig();
        rig.Transmit(NetRig.Header(), NetRig.Frame(100));
        rig.Transmit(NetRig.Header(), NetRig.Frame(200));

        var stats = rig.Device.Stats;
        Assert.Equal(2, stats.TxKicks);
        Assert.Equal(0, stats.TxKicksUnasked);
        Assert.Equal(2, stats.TxChains);
        Assert.Equal(0, stats.TxGsoFrames);
        Assert.Equal(2, stats.TxInterruptsSent);
        Assert.Equal(0, stats.TxInterruptsSuppressed);
        Assert.Equal(2, stats.TxChainsPerWake.Count);
        Assert.Equal(2, stats.TxChainsPerWake[Log2Histogram.BucketOf(1)]);
        Assert.Equal(300, stats.TxFrameBytes.Sum);
        Assert.Equal(2, stats.TxWakeToUsedMicros.Count);
        Assert.Equal(2, stats.TxWakeToInterruptMicros.Count);
        // The second kick came after the first interrupt: one turn-around measured.
        Assert.Equal(1, stats.TxInterruptToKickMicros.Count);
        Assert.Equal(1, stats.TxKickGapMicros.Count);
    }

    [Fact]
    public void SeveralChainsInOneWakeShareOneInterrupt()
    {
        using var rig = new NetRig();
        var packet = NetRig.Packet(NetRig.Frame(80));
        for (int i = 0; i < 3; i++)
        {
            ulong at = NetRig.TxBuffers + (ulong)i * 0x1000;
            rig.Memory.Write(at, packet);
            rig.Tx.Offer(rig.Tx.AddChain((at, (uint)packet.Length, false)));
        }
        rig.Device.QueueNotify(Net.TransmitQueue);

        var stats = rig.Device.Stats;
        Assert.Equal(3, stats.TxChains);
        Assert.Equal(1, stats.TxInterruptsSent);
        Assert.Equal(3, stats.TxChainsPerWake.Max);
        Assert.Equal(1, rig.Interrupt.Signals(Net.TransmitQueue));
    }

    [Fact]
    public void GsoFramesAreCounted()
    {
        using var rig = new NetRig();
        rig.Transmit(NetRig.Header(VirtioNetHeader.FlagNeedsChecksum, VirtioNetHeader.GsoTcpV4, 1448), NetRig.Frame(3000));
        Assert.Equal(1, rig.Device.Counters.TxPackets);
        Assert.Equal(1, rig.Device.Stats.TxGsoFrames);
    }

    [Fact]
    public void UsedEventAheadSuppressesTheInterruptAndIsCounted()
    {
        using var rig = new NetRig(eventIdx: true);
        rig.Transmit(NetRig.Header(), NetRig.Frame(60)); // the first check always interrupts (nothing signalled yet)
        // Then the driver wants an interrupt only once used.idx passes 3 (after the fourth completion).
        rig.Tx.SetUsedEvent(3);
        rig.Transmit(NetRig.Header(), NetRig.Frame(60));
        rig.Transmit(NetRig.Header(), NetRig.Frame(60));
        rig.Transmit(NetRig.Header(), NetRig.Frame(60));

        var stats = rig.Device.Stats;
        Assert.Equal(4, stats.TxChains);
        Assert.Equal(2, stats.TxInterruptsSent);
        Assert.Equal(2, stats.TxInterruptsSuppressed);
        Assert.Equal(2, rig.Interrupt.Signals(Net.TransmitQueue));
        Assert.Equal(0, stats.TxInterruptsWantedLate);
    }

    [Fact]
    public void UsedEventMovedBackOverCheckedCompletionsCountsAsWantedLate()
    {
        using var rig = new NetRig(eventIdx: true);
        rig.Transmit(NetRig.Header(), NetRig.Frame(60)); // entry 0, interrupted
        // Entry 1 suppressed: the driver asked for an interrupt only after entry 5.
        rig.Tx.SetUsedEvent(5);
        rig.Transmit(NetRig.Header(), NetRig.Frame(60));
        Assert.Equal(1, rig.Device.Stats.TxInterruptsSuppressed);
        // The driver then asks for one at entry 1, which the device already published without one.
        rig.Tx.SetUsedEvent(1);
        rig.Transmit(NetRig.Header(), NetRig.Frame(60));
        Assert.Equal(1, rig.Device.Stats.TxInterruptsWantedLate);

        // Counted once, not again on the next wake.
        rig.Tx.SetUsedEvent(7);
        rig.Transmit(NetRig.Header(), NetRig.Frame(60));
        Assert.Equal(1, rig.Device.Stats.TxInterruptsWantedLate);
    }

    [Fact]
    public void NoInterruptFlagSuppressesWithoutEventIdx()
    {
        using var rig = new NetRig();
        rig.Tx.SetAvailFlags(1);
        rig.Transmit(NetRig.Header(), NetRig.Frame(60));
        Assert.Equal(0, rig.Device.Stats.TxInterruptsSent);
        Assert.Equal(1, rig.Device.Stats.TxInterruptsSuppressed);
        Assert.Equal(0, rig.Device.Stats.TxInterruptsWantedLate);
    }

    [Fact]
    public void ReceiveWakesFramesInterruptsAndDryRingAreCounted()
    {
        using var rig = new NetRig();
        rig.PostRx(2048);
        rig.Backend.Enqueue(NetRig.Packet(NetRig.Frame(100)));
        rig.Backend.Enqueue(NetRig.Packet(NetRig.Frame(100, seed: 2)));
        rig.Device.OnBackendReadable();

        var stats = rig.Device.Stats;
        Assert.Equal(1, stats.RxBackendWakes);
        Assert.Equal(1, stats.RxFrames);
        Assert.Equal(1, stats.RxInterruptsSent);
        Assert.Equal(1, stats.RxRingEmpty);

        // The refill kick is served (the device waits for buffers) and delivers the second frame.
        rig.PostRx(2048);
        rig.Device.QueueNotify(Net.ReceiveQueue);
        Assert.Equal(1, stats.RxKicks);
        Assert.Equal(1, stats.RxKicksServed);
        Assert.Equal(2, stats.RxFrames);
        Assert.Equal(2, stats.RxFramesPerWake.Count);
    }

    [Fact]
    public void DescribeNamesEveryGroup()
    {
        using var rig = new NetRig();
        rig.Transmit(NetRig.Header(), NetRig.Frame(100));
        var lines = rig.Device.Stats.Describe().ToList();
        Assert.Contains(lines, l => l.StartsWith("tx: kicks 1 ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("tx wake->irq: n=1 ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("rx: kicks 0 ", StringComparison.Ordinal));
    }
}
