using Xenon.Devices.Virtio.Net;
using Xenon.Devices.Virtio.Queue;
using H = Xenon.Devices.Virtio.Net.VirtioNetHeader;

namespace Xenon.Devices.Tests.VirtioNet;

/// <summary>The transmit path: chains to backend sends, and every malformed chain completed and counted.</summary>
public sealed class VirtioNetTransmitTests
{
    [Fact]
    public void AFrameIsSentWithItsHeaderAndTheChainCompletedWithLengthZero()
    {
        using var rig = new NetRig();
        var frame = NetRig.Frame(1000);
        ushort head = rig.Transmit(NetRig.Header(), frame);

        var (sentHeader, sentFrame) = Assert.Single(rig.Backend.Sent);
        Assert.Equal(new byte[H.Size], sentHeader);
        Assert.Equal(frame, sentFrame);
        Assert.Equal(1, rig.Tx.UsedIdx);
        Assert.Equal((head, 0u), rig.Tx.UsedElement(0));
        Assert.Equal(1, rig.Interrupt.Signals(1));
        Assert.Equal(0, rig.Interrupt.Signals(0));
        Assert.Equal(1, rig.Device.Counters.TxPackets);
        Assert.Equal(1000, rig.Device.Counters.TxBytes);
        Assert.Equal(0, rig.Device.Counters.TxDropped);
    }

    [Theory]
    [InlineData(new uint[] { 12 })] // header alone, then the frame (Linux without ANY_LAYOUT's habits)
    [InlineData(new uint[] { 5, 7, 1, 100 })] // the header split, the frame in pieces
    [InlineData(new uint[] { 20 })] // header and the start of the frame together
    public void HeaderAndFrameMayBeCutAnywhere(uint[] cuts)
    {
        using var rig = new NetRig();
        var frame = NetRig.Frame(700, seed: 3);
        rig.Transmit(NetRig.Header(H.FlagNeedsChecksum), frame, cuts);

        var (sentHeader, sentFrame) = Assert.Single(rig.Backend.Sent);
        Assert.Equal(H.FlagNeedsChecksum, sentHeader[0]);
        Assert.Equal(frame, sentFrame);
    }

    [Fact]
    public void ATsoFrameGoesOutWithItsGsoHeaderWhenHostTsoWasNegotiated()
    {
        using var rig = new NetRig();
        var header = NetRig.Header(H.FlagNeedsChecksum, H.GsoTcpV4, gsoSize: 1448);
        rig.Transmit(header, NetRig.Frame(30000));
        var (sentHeader, sentFrame) = Assert.Single(rig.Backend.Sent);
        Assert.Equal(header, sentHeader);
        Assert.Equal(30000, sentFrame.Length);
    }

    [Fact]
    public void FramesAskingForOffloadsNotNegotiatedAreDroppedAndCounted()
    {
        using var rig = new NetRig(features: null, activate: false);
        rig.Activate(VirtioNetFeatures.Mac | VirtioNetFeatures.MergeableRxBuffers); // no CSUM, no HOST_TSO
        rig.Transmit(NetRig.Header(H.FlagNeedsChecksum), NetRig.Frame(100));
        rig.Transmit(NetRig.Header(0, H.GsoTcpV4), NetRig.Frame(100));
        rig.Transmit(NetRig.Header(), NetRig.Frame(100));

        Assert.Single(rig.Backend.Sent);
        Assert.Equal(2, rig.Device.Counters.TxDroppedMalformed);
        Assert.Equal(3, rig.Tx.UsedIdx);
    }

    [Fact]
    public void ChainsTooShortForHeaderAndEthernetHeaderAreDropped()
    {
        using var rig = new NetRig();
        rig.Transmit([], new byte[H.Size + 13]); // header + 13 bytes
        rig.Transmit([], new byte[5]);
        Assert.Empty(rig.Backend.Sent);
        Assert.Equal(2, rig.Device.Counters.TxDroppedMalformed);
        Assert.Equal(2, rig.Tx.UsedIdx);
        Assert.Equal(0u, rig.Tx.UsedElement(1).Length);
    }

    [Fact]
    public void AChainWithOnlyWritableBuffersIsDropped()
    {
        using var rig = new NetRig();
        ushort head = rig.Tx.AddChain((NetRig.TxBuffers, 100, true));
        rig.Tx.Offer(head);
        rig.Device.QueueNotify(1);
        Assert.Empty(rig.Backend.Sent);
        Assert.Equal(1, rig.Device.Counters.TxDroppedMalformed);
        Assert.Equal((head, 0u), rig.Tx.UsedElement(0));
    }

    [Fact]
    public void OversizedFramesAreDroppedAndCounted()
    {
        using var rig = new NetRig();
        rig.Transmit(NetRig.Header(), new byte[Xenon.Devices.Virtio.Net.VirtioNet.MaxPacketBytes]);
        Assert.Empty(rig.Backend.Sent);
        Assert.Equal(1, rig.Device.Counters.TxDroppedTooLarge);

        rig.Transmit(NetRig.Header(), NetRig.Frame(Xenon.Devices.Virtio.Net.VirtioNet.MaxPacketBytes - H.Size));
        Assert.Single(rig.Backend.Sent);
    }

    [Fact]
    public void BackendFailuresAreCountedAndTheChainStillCompletes()
    {
        using var rig = new NetRig();
        rig.Backend.SendStatus = NetBackendStatus.Failed;
        rig.Transmit(NetRig.Header(), NetRig.Frame(100));
        Assert.Equal(1, rig.Device.Counters.TxErrors);
        Assert.Equal(1, rig.Device.Counters.TxDropped);
        Assert.Equal(0, rig.Device.Counters.TxPackets);
        Assert.Equal(1, rig.Tx.UsedIdx);
    }

    [Fact]
    public void AChainFaultCompletesTheHeadAndTheQueueCarriesOn()
    {
        using var rig = new NetRig();
        ushort bad = rig.Tx.AddChain((NetRig.OutsideRam, 100, false));
        rig.Tx.Offer(bad);
        rig.Transmit(NetRig.Header(), NetRig.Frame(100));

        Assert.Equal(2, rig.Tx.UsedIdx);
        Assert.Equal((bad, 0u), rig.Tx.UsedElement(0));
        Assert.Equal(1, rig.Device.Counters.TxBadChains);
        Assert.Single(rig.Backend.Sent);
        Assert.Empty(rig.Interrupt.NeedsResetReasons);
    }

    [Fact]
    public void ARingFaultSetsNeedsResetAndStopsTheDeviceUntilReset()
    {
        using var rig = new NetRig();
        rig.Tx.SetAvailIdx(100); // more than the queue size ahead
        rig.Device.QueueNotify(1);
        var reason = Assert.Single(rig.Interrupt.NeedsResetReasons);
        Assert.Contains("transmit", reason, StringComparison.Ordinal);
        Assert.False(rig.Backend.Interested);

        rig.PostRx(2048);
        rig.Backend.Enqueue(NetRig.Packet(NetRig.Frame(100)));
        rig.Device.OnBackendReadable();
        rig.Device.QueueNotify(0);
        Assert.Equal(0, rig.Device.Counters.RxPackets);
        Assert.Single(rig.Interrupt.NeedsResetReasons);
    }

    [Fact]
    public void ABatchIsServedWithOneInterruptAndNotificationsReEnabled()
    {
        using var rig = new NetRig(eventIdx: true);
        for (int i = 0; i < 5; i++)
        {
            ushort head = rig.Tx.AddChain((NetRig.TxBuffers + (ulong)i * 0x1000, H.Size + 60, false));
            rig.Tx.Offer(head);
        }
        rig.Device.QueueNotify(1);
        Assert.Equal(5, rig.Backend.SentCount);
        Assert.Equal(1, rig.Interrupt.Signals(1));
        Assert.True(rig.TxQueue.NotificationsEnabled);
        Assert.Equal(5, rig.Tx.AvailEvent); // the driver is asked to kick for the next chain
    }

    [Fact]
    public void AnIndirectChainIsSent()
    {
        using var rig = new NetRig();
        var frame = NetRig.Frame(400, seed: 9);
        rig.Memory.Write(NetRig.TxBuffers, new byte[H.Size]);
        rig.Memory.Write(NetRig.TxBuffers + 0x1000, frame);
        ushort head = rig.Tx.AddIndirectChain(0x20000, (NetRig.TxBuffers, H.Size, false), (NetRig.TxBuffers + 0x1000, 400, false));
        rig.Tx.Offer(head);
        rig.Device.QueueNotify(1);
        Assert.Equal(frame, Assert.Single(rig.Backend.Sent).Frame);
    }

    [Fact]
    public void AChainLongerThanTheScratchListGrowsItOnce()
    {
        using var rig = new NetRig(queueSize: 64, limits: new QueueLimits { MaxIndirectDescriptors = 64 });
        var buffers = new (ulong, uint, bool)[40];
        buffers[0] = (NetRig.TxBuffers, H.Size, false);
        for (int i = 1; i < buffers.Length; i++) buffers[i] = (NetRig.TxBuffers + 0x1000 + (ulong)i * 0x100, 16, false);
        rig.Tx.Offer(rig.Tx.AddChain(buffers));
        rig.Device.QueueNotify(1);
        Assert.Equal(39 * 16, Assert.Single(rig.Backend.Sent).Frame.Length);
    }
}
