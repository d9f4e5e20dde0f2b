using System.Buffers.Binary;
using System.Net.NetworkInformation;
using Xenon.Devices.Virtio.Net;
using Xenon.Machine.Memory;
using Net = Xenon.Devices.Virtio.Net.VirtioNet;

namespace Xenon.Devices.Tests.VirtioNet;

/// <summary>Identity, offered features, configuration space, and how negotiation sets the backend's offloads.</summary>
public sealed class VirtioNetNegotiationTests
{
    [Fact]
    public void OffersTheNetFeaturesWithTwoQueues()
    {
        using var rig = new NetRig(activate: false);
        Assert.Equal(1, rig.Device.DeviceType);
        Assert.Equal([(ushort)16, (ushort)16], rig.Device.QueueMaxSizes);
        ulong expected = VirtioNetFeatures.Mac | VirtioNetFeatures.Status | VirtioNetFeatures.Mtu | VirtioNetFeatures.MergeableRxBuffers
            | VirtioNetFeatures.Csum | VirtioNetFeatures.GuestCsum | VirtioNetFeatures.HostTso4 | VirtioNetFeatures.HostTso6
            | VirtioNetFeatures.HostEcn | VirtioNetFeatures.GuestTso4 | VirtioNetFeatures.GuestTso6 | VirtioNetFeatures.GuestEcn
            | VirtioNetFeatures.RingIndirectDesc | VirtioNetFeatures.RingEventIdx;
        Assert.Equal(expected, rig.Device.DeviceFeatures);
        Assert.Equal(0ul, rig.Device.DeviceFeatures & (VirtioNetFeatures.ControlQueue | VirtioNetFeatures.GuestUfo | VirtioNetFeatures.HostUfo));
    }

    [Fact]
    public void WithoutOffloadsOnlyTheBasicFeaturesAreOffered()
    {
        using var rig = new NetRig(activate: false, offloads: false);
        Assert.Equal(0ul, rig.Device.DeviceFeatures & VirtioNetFeatures.Offloads);
        Assert.NotEqual(0ul, rig.Device.DeviceFeatures & VirtioNetFeatures.MergeableRxBuffers);
    }

    [Fact]
    public void ConfigHoldsMacLinkUpOneQueuePairAndMtu()
    {
        using var memory = GuestMemory.Create([(0, X86Layout.MiB)]);
        var device = new Net(memory, new FakeNetBackend(), PhysicalAddress.Parse("00-16-3E-AA-BB-CC"), mtu: 9000);
        var config = new byte[16];
        device.ReadConfig(0, config);
        Assert.Equal(new byte[] { 0x00, 0x16, 0x3e, 0xaa, 0xbb, 0xcc }, config[..6]);
        Assert.Equal(VirtioNetConfig.StatusLinkUp, BinaryPrimitives.ReadUInt16LittleEndian(config.AsSpan(6)));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(config.AsSpan(8)));
        Assert.Equal(9000, BinaryPrimitives.ReadUInt16LittleEndian(config.AsSpan(10)));
        Assert.Equal(new byte[4], config[12..]); // speed/duplex: not offered, read as zero

        var piece = new byte[2];
        device.ReadConfig(10, piece);
        Assert.Equal(9000, BinaryPrimitives.ReadUInt16LittleEndian(piece));
        device.ReadConfig(-1, piece);
        Assert.Equal(new byte[2], piece);
        device.ReadConfig(400, piece);
        Assert.Equal(new byte[2], piece);

        device.WriteConfig(0, new byte[6]); // ignored: the MAC is read-only
        device.ReadConfig(0, config);
        Assert.Equal(0x16, config[1]);
    }

    [Theory]
    [InlineData("01-00-5E-00-00-01")] // multicast
    [InlineData("00-00-00-00-00-00")]
    [InlineData("00-16-3E-01-02")] // five bytes
    public void BadMacAddressesAreRefused(string mac)
    {
        using var memory = GuestMemory.Create([(0, X86Layout.MiB)]);
        Assert.Throws<ArgumentException>(() => new Net(memory, new FakeNetBackend(), PhysicalAddress.Parse(mac)));
    }

    [Fact]
    public void BadMtuAndQueueSizesAreRefused()
    {
        using var memory = GuestMemory.Create([(0, X86Layout.MiB)]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Net(memory, new FakeNetBackend(), NetRig.Mac, mtu: 67));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Net(memory, new FakeNetBackend(), NetRig.Mac, queueSize: 100));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Net(memory, new FakeNetBackend(), NetRig.Mac, queueSize: 1));
    }

    [Theory]
    [InlineData(0ul, NetOffloads.None)]
    [InlineData(VirtioNetFeatures.GuestCsum, NetOffloads.Checksum)]
    [InlineData(VirtioNetFeatures.GuestCsum | VirtioNetFeatures.GuestTso4, NetOffloads.Checksum | NetOffloads.Tso4)]
    [InlineData(VirtioNetFeatures.GuestCsum | VirtioNetFeatures.GuestTso6 | VirtioNetFeatures.GuestEcn, NetOffloads.Checksum | NetOffloads.Tso6 | NetOffloads.TsoEcn)]
    [InlineData(VirtioNetFeatures.GuestCsum | VirtioNetFeatures.GuestEcn, NetOffloads.Checksum)] // ECN alone means nothing
    [InlineData(VirtioNetFeatures.GuestTso4 | VirtioNetFeatures.GuestTso6 | VirtioNetFeatures.GuestEcn, NetOffloads.None)] // TSO needs GUEST_CSUM
    [InlineData(VirtioNetFeatures.Csum | VirtioNetFeatures.HostTso4 | VirtioNetFeatures.HostTso6, NetOffloads.None)] // host-side features are about transmit
    public void ReceiveOffloadsFollowWhatTheDriverAcceptsForReceive(ulong features, NetOffloads expected)
        => Assert.Equal(expected, VirtioNetFeatures.ReceiveOffloads(features));

    [Fact]
    public void ActivationSetsTheBackendOffloadsAndReceiveInterestResetClearsThem()
    {
        using var rig = new NetRig(activate: false);
        Assert.False(rig.Device.IsActive);
        rig.Activate(rig.AllFeatures | (1UL << 32)); // VERSION_1 from the transport is not a device feature
        Assert.True(rig.Device.IsActive);
        Assert.Equal(rig.AllFeatures, rig.Device.NegotiatedFeatures);
        var all = NetOffloads.Checksum | NetOffloads.Tso4 | NetOffloads.Tso6 | NetOffloads.TsoEcn;
        Assert.Equal([all], rig.Backend.OffloadCalls);
        Assert.Equal(all, rig.Device.ReceiveOffloads);
        Assert.True(rig.Backend.Interested);
        Assert.True(rig.Device.ReceiveInterest);

        rig.Device.Reset();
        Assert.False(rig.Device.IsActive);
        Assert.Equal(NetOffloads.None, rig.Backend.OffloadCalls[^1]);
        Assert.False(rig.Backend.Interested);
        Assert.Equal(0ul, rig.Device.NegotiatedFeatures);

        rig.Activate(VirtioNetFeatures.Mac | VirtioNetFeatures.GuestCsum);
        Assert.Equal(NetOffloads.Checksum, rig.Backend.OffloadCalls[^1]);
    }

    [Fact]
    public void ARefusedOffloadSettingDoesNotStopTheDevice()
    {
        using var rig = new NetRig(activate: false);
        rig.Backend.RefuseOffloads = true;
        rig.Activate(rig.AllFeatures);
        Assert.True(rig.Device.IsActive);
        rig.PostRx(2048);
        rig.Backend.Enqueue(NetRig.Packet(NetRig.Frame(100)));
        rig.Device.OnBackendReadable();
        Assert.Equal(1, rig.Device.Counters.RxPackets);
    }

    [Fact]
    public void ActivationWithTheWrongQueueCountThrows()
    {
        using var rig = new NetRig(activate: false);
        Assert.Throws<ArgumentException>(() => rig.Device.Activate(rig.AllFeatures, [rig.RxQueue], rig.Interrupt));
    }

    [Fact]
    public void AttachToWatchesTheBackendAndDetachStops()
    {
        using var rig = new NetRig();
        using var loop = new Xenon.Machine.IoEvents.IoEventLoop("net-test");
        rig.Device.AttachTo(loop);
        Assert.NotNull(rig.Backend.OnReadable);
        Assert.Throws<InvalidOperationException>(() => rig.Device.AttachTo(loop));

        rig.PostRx(2048);
        rig.Backend.Enqueue(NetRig.Packet(NetRig.Frame(80)));
        rig.Backend.OnReadable!(); // what the loop would call
        Assert.Equal(1, rig.Device.Counters.RxPackets);

        rig.Device.Detach();
        Assert.True(rig.Backend.Unwatched);
        rig.Device.Dispose(); // again: harmless
    }

    [Fact]
    public void KicksAndReadinessBeforeActivationOrForUnknownQueuesDoNothing()
    {
        using var rig = new NetRig(activate: false);
        rig.Backend.Enqueue(NetRig.Packet(NetRig.Frame(80)));
        rig.Device.QueueNotify(0);
        rig.Device.QueueNotify(1);
        rig.Device.OnBackendReadable();
        Assert.Equal(1, rig.Backend.Pending);
        Assert.False(rig.Backend.Interested);

        rig.Activate(rig.AllFeatures);
        rig.Device.QueueNotify(2);
        rig.Device.QueueNotify(-1);
        Assert.Equal(0, rig.Backend.ReceiveCalls);
    }
}
