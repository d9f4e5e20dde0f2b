using Xenon.Devices.Virtio.Net;
using H = Xenon.Devices.Virtio.Net.VirtioNetHeader;
using Net = Xenon.Devices.Virtio.Net.VirtioNet;

namespace Xenon.Devices.Tests.VirtioNet;

/// <summary>The receive path: backend frames into the driver's buffers, mergeable or not, waiting (never dropping)
/// when the driver has no buffers, and counting every frame that cannot be delivered.</summary>
public sealed class VirtioNetReceiveTests
{
    [Fact]
    public void AFrameFillsOneBufferWithNumBuffersOne()
    {
        using var rig = new NetRig(features: null, activate: false);
        rig.Activate(rig.WithoutMergeable);
        var (head, address) = rig.PostRx(2048);
        var frame = NetRig.Frame(600);
        rig.Backend.Enqueue(NetRig.Packet(frame));

        rig.Device.OnBackendReadable();

        Assert.Equal(1, rig.Rx.UsedIdx);
        Assert.Equal((head, (uint)(H.Size + 600)), rig.Rx.UsedElement(0));
        var delivered = rig.GuestBytes(address, H.Size + 600);
        Assert.Equal(1, H.GetNumBuffers(delivered));
        Assert.Equal(frame, delivered[H.Size..]);
        Assert.Equal(1, rig.Interrupt.Signals(0));
        Assert.Equal(1, rig.Device.Counters.RxPackets);
        Assert.Equal(600, rig.Device.Counters.RxBytes);
        Assert.True(rig.Backend.Interested, "the backend ran dry, so the device waits for it to be readable again");
    }

    [Fact]
    public void AFrameMaySpanTheSegmentsOfOneChain()
    {
        using var rig = new NetRig(features: null, activate: false);
        rig.Activate(rig.WithoutMergeable);
        var (head, first) = rig.PostRx(10, 100, 4000); // the header itself is split
        var frame = NetRig.Frame(1500, seed: 4);
        rig.Backend.Enqueue(NetRig.Packet(frame));
        rig.Device.OnBackendReadable();

        Assert.Equal((head, (uint)(H.Size + 1500)), rig.Rx.UsedElement(0));
        // PostRx places each buffer on its own 4 KiB page.
        byte[] got = [.. rig.GuestBytes(first, 10), .. rig.GuestBytes(first + 0x1000, 100), .. rig.GuestBytes(first + 0x2000, H.Size + 1500 - 110)];
        Assert.Equal(1, H.GetNumBuffers(got));
        Assert.Equal(frame, got[H.Size..]);
    }

    [Fact]
    public void WithMergeableBuffersALargeFrameSpreadsOverSeveralChains()
    {
        using var rig = new NetRig();
        var chains = new[] { rig.PostRx(1000), rig.PostRx(1000), rig.PostRx(1000), rig.PostRx(1000) };
        var frame = NetRig.Frame(2500, seed: 5);
        rig.Backend.Enqueue(NetRig.Packet(frame));

        rig.Device.OnBackendReadable();

        // 2512 bytes: 1000 + 1000 + 512, in consecutive used elements; the fourth chain stays with the device.
        Assert.Equal(3, rig.Rx.UsedIdx);
        Assert.Equal((chains[0].Head, 1000u), rig.Rx.UsedElement(0));
        Assert.Equal((chains[1].Head, 1000u), rig.Rx.UsedElement(1));
        Assert.Equal((chains[2].Head, 512u), rig.Rx.UsedElement(2));
        byte[] got = [.. rig.GuestBytes(chains[0].Address, 1000), .. rig.GuestBytes(chains[1].Address, 1000), .. rig.GuestBytes(chains[2].Address, 512)];
        Assert.Equal(3, H.GetNumBuffers(got));
        Assert.Equal(frame, got[H.Size..]);
        Assert.Equal(1, rig.Interrupt.Signals(0));

        // The next frame starts in the fourth chain.
        rig.Backend.Enqueue(NetRig.Packet(NetRig.Frame(100)));
        rig.Device.OnBackendReadable();
        Assert.Equal((chains[3].Head, (uint)(H.Size + 100)), rig.Rx.UsedElement(3));
        Assert.Equal(1, H.GetNumBuffers(rig.GuestBytes(chains[3].Address, H.Size)));
    }

    [Fact]
    public void WithoutBuffersTheFrameWaitsAndTheBackendIsNoLongerWatched()
    {
        using var rig = new NetRig();
        var frame = NetRig.Frame(300, seed: 6);
        rig.Backend.Enqueue(NetRig.Packet(frame));
        rig.Backend.Enqueue(NetRig.Packet(NetRig.Frame(301, seed: 7)));

        rig.Device.OnBackendReadable();
        Assert.Equal(0, rig.Rx.UsedIdx);
        Assert.False(rig.Backend.Interested, "no buffers: stop listening to the backend");
        Assert.False(rig.Device.ReceiveInterest);
        Assert.Equal(1, rig.Backend.Pending); // one frame read and held, the other left in the backend
        Assert.Equal(0, rig.Device.Counters.RxDropped);

        var (head, address) = rig.PostRx(2048);
        rig.Device.QueueNotify(Net.ReceiveQueue);
        Assert.Equal((head, (uint)(H.Size + 300)), rig.Rx.UsedElement(0));
        Assert.Equal(frame, rig.GuestBytes(address + H.Size, 300));
        Assert.False(rig.Backend.Interested, "the second frame is waiting again for a buffer");

        rig.PostRx(2048);
        rig.Device.QueueNotify(Net.ReceiveQueue);
        Assert.Equal(2, rig.Rx.UsedIdx);
        Assert.True(rig.Backend.Interested);
        Assert.Equal(2, rig.Device.Counters.RxPackets);
        Assert.Equal(0, rig.Device.Counters.RxDropped);
    }

    [Fact]
    public void AMergeableFrameWaitsUntilEnoughBuffersArrive()
    {
        using var rig = new NetRig();
        var a = rig.PostRx(1000);
        var frame = NetRig.Frame(1800, seed: 8);
        rig.Backend.Enqueue(NetRig.Packet(frame));
        rig.Device.OnBackendReadable();
        Assert.Equal(0, rig.Rx.UsedIdx); // one chain is not enough: it is held, not returned

        var b = rig.PostRx(1000);
        rig.Device.QueueNotify(Net.ReceiveQueue);
        Assert.Equal(2, rig.Rx.UsedIdx);
        Assert.Equal((a.Head, 1000u), rig.Rx.UsedElement(0));
        Assert.Equal((b.Head, 812u), rig.Rx.UsedElement(1));
        Assert.Equal(2, H.GetNumBuffers(rig.GuestBytes(a.Address, H.Size)));
    }

    [Fact]
    public void WithoutMergeableAFrameTooLargeForTheChainIsDroppedAndTheChainKept()
    {
        using var rig = new NetRig(features: null, activate: false);
        rig.Activate(rig.WithoutMergeable);
        var (head, address) = rig.PostRx(200);
        rig.Backend.Enqueue(NetRig.Packet(NetRig.Frame(1000)));
        var small = NetRig.Frame(100, seed: 2);
        rig.Backend.Enqueue(NetRig.Packet(small));

        rig.Device.OnBackendReadable();

        Assert.Equal(1, rig.Device.Counters.RxDroppedTooLarge);
        Assert.Equal(1, rig.Rx.UsedIdx);
        Assert.Equal((head, (uint)(H.Size + 100)), rig.Rx.UsedElement(0));
        Assert.Equal(small, rig.GuestBytes(address + H.Size, 100));
    }

    [Fact]
    public void AMergeableFrameNoSetOfBuffersCanHoldIsDropped()
    {
        using var rig = new NetRig(queueSize: 4);
        for (int i = 0; i < 4; i++) rig.PostRx(100); // the whole queue: 400 bytes
        rig.Backend.Enqueue(NetRig.Packet(NetRig.Frame(1000)));
        rig.Backend.Enqueue(NetRig.Packet(NetRig.Frame(150, seed: 3)));

        rig.Device.OnBackendReadable();

        Assert.Equal(1, rig.Device.Counters.RxDroppedTooLarge);
        Assert.Equal(2, rig.Rx.UsedIdx); // the small frame used two of the held chains
        Assert.Equal(2, H.GetNumBuffers(rig.GuestBytes(NetRig.RxBuffers, H.Size)));
    }

    [Fact]
    public void ChainsTooSmallForAHeaderAreReturnedUnusedAndCounted()
    {
        using var rig = new NetRig();
        var tiny = rig.PostRx(8);
        var good = rig.PostRx(2048);
        rig.Backend.Enqueue(NetRig.Packet(NetRig.Frame(64)));
        rig.Device.OnBackendReadable();

        Assert.Equal((tiny.Head, 0u), rig.Rx.UsedElement(0));
        Assert.Equal((good.Head, (uint)(H.Size + 64)), rig.Rx.UsedElement(1));
        Assert.Equal(1, rig.Device.Counters.RxBadChains);
    }

    [Fact]
    public void ReadableOnlyAndFaultyChainsAreReturnedUnused()
    {
        using var rig = new NetRig();
        ushort readable = rig.Rx.AddChain((NetRig.RxBuffers, 2048, false));
        rig.Rx.Offer(readable);
        ushort outside = rig.Rx.AddChain((NetRig.OutsideRam, 2048, true));
        rig.Rx.Offer(outside);
        var good = rig.PostRx(2048);
        rig.Backend.Enqueue(NetRig.Packet(NetRig.Frame(64)));
        rig.Device.OnBackendReadable();

        Assert.Equal(3, rig.Rx.UsedIdx);
        Assert.Equal((readable, 0u), rig.Rx.UsedElement(0));
        Assert.Equal((outside, 0u), rig.Rx.UsedElement(1));
        Assert.Equal(good.Head, rig.Rx.UsedElement(2).Id);
        Assert.Equal(2, rig.Device.Counters.RxBadChains);
    }

    [Fact]
    public void FramesTheDriverCannotTakeAreDroppedAndCounted()
    {
        using var rig = new NetRig(features: null, activate: false);
        rig.Activate(VirtioNetFeatures.Mac | VirtioNetFeatures.MergeableRxBuffers); // no GUEST_CSUM / TSO
        for (int i = 0; i < 4; i++) rig.PostRx(4096);
        rig.Backend.Enqueue(NetRig.Packet(NetRig.Frame(100), flags: H.FlagNeedsChecksum));
        rig.Backend.Enqueue(NetRig.Packet(NetRig.Frame(3000), flags: H.FlagNeedsChecksum, gsoType: H.GsoTcpV4));
        rig.Backend.Enqueue(new byte[H.Size + 13]); // shorter than an Ethernet header
        rig.Backend.Enqueue(NetRig.Packet(NetRig.Frame(100), flags: H.FlagDataValid)); // deliverable, flag cleared

        rig.Device.OnBackendReadable();

        Assert.Equal(3, rig.Device.Counters.RxDroppedMalformed);
        Assert.Equal(1, rig.Device.Counters.RxPackets);
        Assert.Equal(0, rig.GuestBytes(NetRig.RxBuffers, 1)[0]);
    }

    [Fact]
    public void GsoFramesPassWithTheirHeaderWhenTheDriverAcceptedThem()
    {
        using var rig = new NetRig();
        rig.PostRx(65536);
        var packet = NetRig.Packet(NetRig.Frame(40000), flags: H.FlagNeedsChecksum, gsoType: H.GsoTcpV6);
        rig.Backend.Enqueue(packet);
        rig.Device.OnBackendReadable();

        var delivered = rig.GuestBytes(NetRig.RxBuffers, H.Size);
        Assert.Equal(H.FlagNeedsChecksum, delivered[0]);
        Assert.Equal(H.GsoTcpV6, delivered[1]);
        Assert.Equal(packet[2..10], delivered[2..10]);
    }

    [Fact]
    public void FramesLargerThanTheDeviceBufferAreDroppedAndCounted()
    {
        using var rig = new NetRig();
        rig.PostRx(65536);
        rig.PostRx(65536);
        rig.Backend.Enqueue(new byte[Net.MaxPacketBytes + 100]); // truncated by the backend to the device's buffer
        rig.Backend.Enqueue(NetRig.Packet(NetRig.Frame(Net.MaxPacketBytes - H.Size))); // exactly the largest accepted
        rig.Device.OnBackendReadable();
        Assert.Equal(1, rig.Device.Counters.RxDroppedTooLarge);
        Assert.Equal(1, rig.Device.Counters.RxPackets);
    }

    [Fact]
    public void ABackendErrorIsCountedAndTheBackendUnwatchedUntilTheNextKick()
    {
        using var rig = new NetRig();
        rig.PostRx(2048);
        rig.Backend.FailReceive = true;
        rig.Device.OnBackendReadable();
        Assert.Equal(1, rig.Device.Counters.RxErrors);
        Assert.False(rig.Backend.Interested);

        rig.Backend.FailReceive = false;
        rig.Backend.Enqueue(NetRig.Packet(NetRig.Frame(64)));
        rig.Device.QueueNotify(Net.ReceiveQueue);
        Assert.Equal(1, rig.Device.Counters.RxPackets);
        Assert.True(rig.Backend.Interested);
    }

    [Fact]
    public void AResetDropsTheWaitingFrameAndCountsIt()
    {
        using var rig = new NetRig();
        rig.Backend.Enqueue(NetRig.Packet(NetRig.Frame(64)));
        rig.Device.OnBackendReadable();
        rig.Device.Reset();
        Assert.Equal(1, rig.Device.Counters.RxDroppedReset);
        Assert.Equal(1, rig.Device.Counters.RxDropped);

        // After reactivation nothing stale is delivered.
        rig.RxQueue.Reset();
        rig.TxQueue.Reset();
        var rxQueue = rig.Rx.CreateQueue();
        var txQueue = rig.Tx.CreateQueue();
        rig.Device.Activate(rig.AllFeatures, [rxQueue, txQueue], rig.Interrupt);
        rig.Device.QueueNotify(Net.ReceiveQueue);
        Assert.Equal(0, rig.Device.Counters.RxPackets);
    }

    [Fact]
    public void OneCallDeliversABudgetOfFramesAndStaysInterested()
    {
        using var rig = new NetRig(queueSize: 128);
        for (int i = 0; i < 100; i++) rig.PostRx(2048);
        for (int i = 0; i < 100; i++) rig.Backend.Enqueue(NetRig.Packet(NetRig.Frame(60, seed: i)));

        rig.Device.OnBackendReadable();
        Assert.Equal(64, rig.Rx.UsedIdx);
        Assert.True(rig.Backend.Interested, "more is waiting: the level-triggered loop will call again");
        Assert.Equal(1, rig.Interrupt.Signals(0));

        rig.Device.OnBackendReadable();
        Assert.Equal(100, rig.Rx.UsedIdx);
    }

    [Fact]
    public void AReceiveKickWhileTheBackendIsWatchedDoesNotReadIt()
    {
        using var rig = new NetRig();
        rig.PostRx(2048);
        rig.Device.QueueNotify(Net.ReceiveQueue);
        Assert.Equal(0, rig.Backend.ReceiveCalls); // readiness drives receive; a refill kick costs no read
        rig.Device.OnBackendReadable();
        Assert.Equal(1, rig.Backend.ReceiveCalls);
    }

    [Fact]
    public void ARingFaultOnReceiveSetsNeedsReset()
    {
        using var rig = new NetRig();
        rig.Rx.SetAvailIdx(1000);
        rig.Backend.Enqueue(NetRig.Packet(NetRig.Frame(64)));
        rig.Device.OnBackendReadable();
        var reason = Assert.Single(rig.Interrupt.NeedsResetReasons);
        Assert.Contains("receive", reason, StringComparison.Ordinal);
        Assert.False(rig.Backend.Interested);

        rig.Device.OnBackendReadable();
        Assert.Single(rig.Interrupt.NeedsResetReasons);
    }

    [Fact]
    public void WithEventIdxTheDriverIsAskedToKickWhenBuffersRunOut()
    {
        using var rig = new NetRig(eventIdx: true);
        rig.PostRx(2048);
        rig.Backend.Enqueue(NetRig.Packet(NetRig.Frame(64)));
        rig.Backend.Enqueue(NetRig.Packet(NetRig.Frame(64)));
        rig.Device.OnBackendReadable();
        Assert.Equal(1, rig.Rx.UsedIdx);
        Assert.Equal(1, rig.Rx.AvailEvent); // kick me when avail.idx passes 1
        Assert.True(rig.RxQueue.NotificationsEnabled);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RefillKicksAreSuppressedWhileBuffersLastAndAskedForWhenTheyRunOut(bool eventIdx)
    {
        using var rig = new NetRig(eventIdx: eventIdx);
        for (int i = 0; i < 3; i++) rig.PostRx(2048);
        rig.Backend.Enqueue(NetRig.Packet(NetRig.Frame(64)));
        rig.Device.OnBackendReadable();
        Assert.Equal(1, rig.Rx.UsedIdx);
        // Two buffers left: the driver's refills need no kick (EVENT_IDX: avail_event stays behind; else NO_NOTIFY).
        Assert.False(rig.RxQueue.NotificationsEnabled);
        if (eventIdx) Assert.True(rig.Rx.AvailEvent < rig.Rx.AvailIdx);
        else Assert.Equal(1, rig.Rx.UsedFlags & 1);

        // Frames use up the rest: a third frame waits, and kicks are asked for again.
        for (int i = 0; i < 3; i++) rig.Backend.Enqueue(NetRig.Packet(NetRig.Frame(64)));
        rig.Device.OnBackendReadable();
        Assert.Equal(3, rig.Rx.UsedIdx);
        Assert.True(rig.RxQueue.NotificationsEnabled);
        if (eventIdx) Assert.Equal(rig.Rx.AvailIdx, rig.Rx.AvailEvent);
        else Assert.Equal(0, rig.Rx.UsedFlags & 1);
        Assert.False(rig.Backend.Interested);

        // The refill kick delivers the waiting frame.
        rig.PostRx(2048);
        rig.Device.QueueNotify(Net.ReceiveQueue);
        Assert.Equal(4, rig.Rx.UsedIdx);
    }

    [Fact]
    public void ADriverOfferingTheSameHeadOverAndOverCannotGrowTheStashPastTheQueue()
    {
        using var rig = new NetRig(queueSize: 4);
        ushort head = rig.Rx.AddChain((NetRig.RxBuffers, 16, true));
        for (int i = 0; i < 4; i++) rig.Rx.Offer(head);
        rig.Backend.Enqueue(NetRig.Packet(NetRig.Frame(1000)));
        rig.Device.OnBackendReadable();
        for (int i = 0; i < 4; i++) rig.Rx.Offer(head);
        rig.Device.QueueNotify(Net.ReceiveQueue);
        Assert.Equal(1, rig.Device.Counters.RxDroppedTooLarge);
        Assert.Empty(rig.Interrupt.NeedsResetReasons);
    }
}
