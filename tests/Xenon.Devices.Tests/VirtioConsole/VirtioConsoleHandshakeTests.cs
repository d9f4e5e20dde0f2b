using System.Buffers.Binary;
using Xenon.Devices.Virtio.Console;
using E = Xenon.Devices.Virtio.Console.ConsoleControlEvent;

namespace Xenon.Devices.Tests.VirtioConsole;

/// <summary>The multiport handshake and port life cycle over the control queues, as Linux's virtio_console drives them.</summary>
public sealed class VirtioConsoleHandshakeTests
{
    [Fact]
    public void IdentityQueuesAndConfigFollowThePortCount()
    {
        using var rig = ConsoleRig.WithPorts((null, true, new FakePortBackend()), ("org.xenon.test", false, new FakePortBackend()), ("b", false, new FakePortBackend()));
        Assert.Equal(3, rig.Device.DeviceType);
        Assert.Equal(8, rig.Device.QueueMaxSizes.Count);
        Assert.NotEqual(0UL, rig.Device.DeviceFeatures & VirtioConsoleFeatures.Multiport);
        Assert.Equal(0UL, rig.Device.DeviceFeatures & (VirtioConsoleFeatures.Size | VirtioConsoleFeatures.EmergencyWrite));
        Span<byte> config = stackalloc byte[12];
        rig.Device.ReadConfig(0, config);
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(config[4..]));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(config[..4]));
        Assert.Equal([0, 1, 4, 5, 6, 7], rig.Device.Ports.SelectMany(p => new[] { p.ReceiveQueue, p.TransmitQueue }));
        Assert.All(rig.Device.Ports, p => Assert.Equal(1, ((FakePortBackend)p.Backend).Starts));
    }

    [Fact]
    public void TheHandshakeAnnouncesEveryPortItsNameConsoleRoleAndHostState()
    {
        using var rig = ConsoleRig.WithPorts(
            (null, true, new FakePortBackend(connected: true)),
            ("org.xenon.test", false, new FakePortBackend(connected: true)),
            ("org.xenon.idle", false, new FakePortBackend(connected: false)));

        rig.GiveControlBuffers(32);
        Assert.Empty(rig.TakeAnnouncements()); // nothing before the driver says it is ready

        rig.SendControl(ConsoleRig.BadId, E.DeviceReady, 1);
        Assert.Equal(
            [(0u, E.DeviceAdd, (ushort)1), (1u, E.DeviceAdd, (ushort)1), (2u, E.DeviceAdd, (ushort)1)],
            rig.TakeAnnouncements().Select(a => (a.Message.Id, a.Message.Event, a.Message.Value)));

        rig.SendControl(0, E.PortReady, 1);
        Assert.Equal([(0u, E.ConsolePort, (ushort)1, (string?)null), (0u, E.PortOpen, (ushort)1, null)],
            rig.TakeAnnouncements().Select(a => (a.Message.Id, a.Message.Event, a.Message.Value, a.Name)));

        rig.SendControl(1, E.PortReady, 1);
        Assert.Equal([(1u, E.PortName, (ushort)0, (string?)"org.xenon.test\0"), (1u, E.PortOpen, (ushort)1, null)],
            rig.TakeAnnouncements().Select(a => (a.Message.Id, a.Message.Event, a.Message.Value, a.Name)));

        rig.SendControl(2, E.PortReady, 1);
        Assert.Equal([(2u, E.PortName, (ushort)0, (string?)"org.xenon.idle\0")],
            rig.TakeAnnouncements().Select(a => (a.Message.Id, a.Message.Event, a.Message.Value, a.Name)));

        Assert.All(rig.Device.Ports, p => Assert.True(p.GuestReady));
        Assert.Equal([true, true, false], rig.Device.Ports.Select(p => p.HostOpenReported));
        Assert.Equal(0, rig.Device.InvalidControlMessages);
        Assert.True(rig.Set.Interrupt.Signals(ConsoleRig.ControlRx) > 0);
    }

    [Fact]
    public void AnnouncementsWaitForControlBuffers()
    {
        using var rig = ConsoleRig.WithPorts((null, false, new FakePortBackend()), ("x", false, new FakePortBackend()));
        rig.SendControl(ConsoleRig.BadId, E.DeviceReady, 1);
        Assert.Empty(rig.TakeAnnouncements());

        rig.GiveControlBuffers(1);
        Assert.Single(rig.TakeAnnouncements());
        rig.GiveControlBuffers(4);
        Assert.Equal([1u], rig.TakeAnnouncements().Select(a => a.Message.Id));
    }

    [Fact]
    public void HostConnectsAndDisconnectsAreReportedOncePortIsReady()
    {
        var backend = new FakePortBackend(connected: false);
        using var rig = ConsoleRig.WithPorts((null, true, new FakePortBackend()), ("chan", false, backend));

        backend.Connected = true;
        rig.Device.ServicePending(); // before the handshake: the driver does not know the port yet
        Assert.Empty(rig.TakeAnnouncements());

        rig.Handshake();
        Assert.True(rig.Device.Ports[1].HostOpenReported);

        backend.Connected = false;
        rig.Device.ServicePending();
        Assert.Equal([(1u, E.PortOpen, (ushort)0)], rig.TakeAnnouncements().Select(a => (a.Message.Id, a.Message.Event, a.Message.Value)));

        rig.Device.ServicePending(); // no change, no message
        Assert.Empty(rig.TakeAnnouncements());

        backend.Connected = true;
        rig.Device.ServicePending();
        Assert.Equal([(1u, E.PortOpen, (ushort)1)], rig.TakeAnnouncements().Select(a => (a.Message.Id, a.Message.Event, a.Message.Value)));
    }

    [Fact]
    public void GuestOpenAndCloseAreTracked()
    {
        using var rig = ConsoleRig.WithPorts((null, true, new FakePortBackend()), ("chan", false, new FakePortBackend()));
        rig.Handshake();
        Assert.False(rig.Device.Ports[1].GuestOpen);
        rig.SendControl(1, E.PortOpen, 1);
        Assert.True(rig.Device.Ports[1].GuestOpen);
        rig.SendControl(1, E.PortOpen, 0);
        Assert.False(rig.Device.Ports[1].GuestOpen);
    }

    [Fact]
    public void APortTheDriverCouldNotSetUpGetsNoAnnouncements()
    {
        using var rig = ConsoleRig.WithPorts((null, true, new FakePortBackend()));
        rig.GiveControlBuffers(8);
        rig.SendControl(ConsoleRig.BadId, E.DeviceReady, 1);
        rig.TakeAnnouncements();
        rig.SendControl(0, E.PortReady, 0);
        Assert.Empty(rig.TakeAnnouncements());
        Assert.False(rig.Device.Ports[0].GuestReady);
    }

    [Fact]
    public void AFailedDriverGetsNoPorts()
    {
        using var rig = ConsoleRig.WithPorts((null, true, new FakePortBackend()));
        rig.GiveControlBuffers(8);
        rig.SendControl(ConsoleRig.BadId, E.DeviceReady, 0);
        Assert.Empty(rig.TakeAnnouncements());
    }

    [Fact]
    public void MalformedControlMessagesAreCountedAndCompleted()
    {
        using var rig = ConsoleRig.WithPorts((null, true, new FakePortBackend()));
        rig.GiveControlBuffers(8);
        rig.Set.OfferBytes(ConsoleRig.ControlTx, [1, 2, 3, 4]);          // shorter than the header
        rig.Device.QueueNotify(ConsoleRig.ControlTx);
        rig.SendControl(7, E.PortReady, 1);                             // no such port
        rig.SendControl(0, E.PortName, 0);                              // device-to-driver event
        rig.SendControl(0, (E)999, 1);                                  // unknown event
        rig.Set.Offer(ConsoleRig.ControlTx, (0xFFFF_F000, 8, false));   // buffer outside RAM
        rig.Device.QueueNotify(ConsoleRig.ControlTx);
        rig.Set.Offer(ConsoleRig.ControlTx, (rig.Set.Allocate(8), 8, true)); // writable only: no message
        rig.Device.QueueNotify(ConsoleRig.ControlTx);

        Assert.Equal(5, rig.Device.InvalidControlMessages);
        Assert.Equal(6, rig.Set.Drivers[ConsoleRig.ControlTx].UsedIdx);
        Assert.Empty(rig.TakeAnnouncements());
        Assert.Empty(rig.Set.Interrupt.NeedsResetReasons);
    }

    [Fact]
    public void AnnouncementsAreBoundedWhenTheDriverNeverTakesThem()
    {
        using var rig = ConsoleRig.WithPorts((null, true, new FakePortBackend()), ("a", false, new FakePortBackend()));
        for (int i = 0; i < 200; i++) rig.SendControl(1, E.PortReady, 1);
        Assert.True(rig.Device.DroppedControlMessages > 0);

        rig.GiveControlBuffers(60);
        int delivered = rig.TakeAnnouncements().Count;
        Assert.Equal(4 * 2 + 16, delivered); // the queue's capacity, no more
    }

    [Fact]
    public void ASmallControlBufferGetsWhatFits()
    {
        using var rig = ConsoleRig.WithPorts((null, false, new FakePortBackend()), ("a-long-port-name", false, new FakePortBackend(connected: false)));
        rig.SendControl(1, E.PortReady, 1);
        ulong at = rig.Set.Allocate(12);
        rig.Set.Offer(ConsoleRig.ControlRx, (at, 12, true));
        rig.Device.QueueNotify(ConsoleRig.ControlRx);
        var used = rig.Set.Drivers[ConsoleRig.ControlRx].UsedElement(0);
        Assert.Equal(12u, used.Length);
        Assert.Equal("a-lo"u8.ToArray(), rig.Set.Read(at + 8, 4));
    }

    [Fact]
    public void ResetForgetsTheDriverAndStopsServing()
    {
        var backend = new FakePortBackend();
        using var rig = ConsoleRig.WithPorts((null, true, new FakePortBackend()), ("a", false, backend));
        rig.Handshake();
        rig.Device.Reset();
        Assert.All(rig.Device.Ports, p => Assert.False(p.GuestReady || p.GuestOpen || p.HostOpenReported));
        backend.Feed(1, 2, 3);
        rig.Device.ServicePending();
        rig.Device.QueueNotify(ConsoleRig.ControlTx);
        Assert.Equal(3, backend.Read(new byte[8]));
    }

    [Fact]
    public void ABrokenControlRingSetsNeedsResetOnce()
    {
        using var rig = ConsoleRig.WithPorts((null, true, new FakePortBackend()));
        rig.Set.Drivers[ConsoleRig.ControlTx].SetAvailIdx(1000);
        rig.Device.QueueNotify(ConsoleRig.ControlTx);
        rig.Device.QueueNotify(ConsoleRig.ControlTx);
        rig.Device.ServicePending();
        Assert.Single(rig.Set.Interrupt.NeedsResetReasons);
        Assert.Contains("queue 3", rig.Set.Interrupt.NeedsResetReasons[0]);
    }

    [Fact]
    public void KicksOfQueuesBeyondThePortsAreIgnored()
    {
        using var rig = ConsoleRig.WithPorts((null, true, new FakePortBackend()));
        rig.Device.QueueNotify(4);
        rig.Device.QueueNotify(-1);
        rig.Device.QueueNotify(1000);
        Assert.Empty(rig.Set.Interrupt.NeedsResetReasons);
    }

    [Theory]
    [InlineData("")]
    [InlineData("tab\tname")]
    [InlineData("ünïcode")]
    public void BadPortNamesAreRefused(string name)
    {
        using var set = new QueueSet(4);
        Assert.Throws<ArgumentException>(() => new Xenon.Devices.Virtio.Console.VirtioConsole(set.Memory, [new ConsolePortSpec(new FakePortBackend(), name)], () => { }));
    }

    [Fact]
    public void DuplicateNamesAndEmptyPortListsAreRefused()
    {
        using var set = new QueueSet(4);
        Assert.Throws<ArgumentException>(() => new Xenon.Devices.Virtio.Console.VirtioConsole(set.Memory,
            [new ConsolePortSpec(new FakePortBackend()), new ConsolePortSpec(new FakePortBackend(), "a"), new ConsolePortSpec(new FakePortBackend(), "a")], () => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Xenon.Devices.Virtio.Console.VirtioConsole(set.Memory, [], () => { }));
    }
}
