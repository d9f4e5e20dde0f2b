using Xenon.Devices.Tests.Support;
using Xenon.Devices.Virtio.Console;
using E = Xenon.Devices.Virtio.Console.ConsoleControlEvent;

namespace Xenon.Devices.Tests.VirtioConsole;

/// <summary>Bytes between port queues and backends: delivery, gating on the guest's open, backpressure, drops.</summary>
public sealed class VirtioConsoleDataTests
{
    private static (ConsoleRig Rig, FakePortBackend Console, FakePortBackend Channel) OpenChannel(FakePortBackend? channel = null)
    {
        var console = new FakePortBackend();
        channel ??= new FakePortBackend();
        var rig = ConsoleRig.WithPorts((null, true, console), ("org.xenon.test", false, channel));
        rig.Handshake();
        rig.SendControl(0, E.PortOpen, 1); // Linux opens the console port itself
        rig.SendControl(1, E.PortOpen, 1); // a guest program opened /dev/vport0p1
        return (rig, console, channel);
    }

    [Fact]
    public void GuestOutputReachesTheBackend()
    {
        var (rig, _, channel) = OpenChannel();
        using var _r = rig;
        ushort head = rig.Transmit(1, "hello, host"u8.ToArray());

        Assert.Equal("hello, host"u8.ToArray(), channel.Output.ToArray());
        Assert.Equal((head, 0u), rig.Set.Drivers[5].UsedElement(0));
        Assert.Equal(1, rig.Set.Interrupt.Signals(5));
        Assert.Equal(11, rig.Device.Ports[1].BytesFromGuest);
    }

    [Fact]
    public void HostInputFillsReceiveBuffersOnceTheGuestOpensThePort()
    {
        var channel = new FakePortBackend();
        using var rig = ConsoleRig.WithPorts((null, true, new FakePortBackend()), ("org.xenon.test", false, channel));
        rig.Handshake();
        ulong buffer = rig.GiveReceiveBuffer(1, 64);
        channel.Feed("ping"u8.ToArray());
        rig.Device.ServicePending();
        Assert.Equal(0, rig.Set.Drivers[4].UsedIdx); // nobody reads the port: the bytes wait in the backend
        Assert.True(channel.HasInput);

        rig.SendControl(1, E.PortOpen, 1);
        Assert.Equal((0u, 4u), rig.Set.Drivers[4].UsedElement(0));
        Assert.Equal("ping"u8.ToArray(), rig.Set.Read(buffer, 4));
        Assert.Equal(1, rig.Set.Interrupt.Signals(4));
        Assert.Equal(4, rig.Device.Ports[1].BytesToGuest);
    }

    [Fact]
    public void InputLargerThanABufferSpreadsOverSeveralAndWaitsForMore()
    {
        var (rig, _, channel) = OpenChannel();
        using var _r = rig;
        var data = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        channel.Feed(data);
        rig.Device.ServicePending(); // no buffers yet
        ulong a = rig.GiveReceiveBuffer(1, 64);
        ulong b = rig.GiveReceiveBuffer(1, 64);

        Assert.Equal([(0u, 64u), (1u, 36u)], rig.Set.UsedSince(4, 0));
        Assert.Equal(data[..64], rig.Set.Read(a, 64));
        Assert.Equal(data[64..], rig.Set.Read(b, 36));
    }

    [Fact]
    public void ScatteredReceiveBuffersAreFilledInOrder()
    {
        var (rig, _, channel) = OpenChannel();
        using var _r = rig;
        ulong x = rig.Set.Allocate(3), y = rig.Set.Allocate(5);
        rig.Set.Offer(4, (x, 3, true), (y, 5, true));
        channel.Feed("abcdefgh"u8.ToArray());
        rig.Device.ServicePending();
        Assert.Equal(8u, rig.Set.Drivers[4].UsedElement(0).Length);
        Assert.Equal("abc"u8.ToArray(), rig.Set.Read(x, 3));
        Assert.Equal("defgh"u8.ToArray(), rig.Set.Read(y, 5));
    }

    [Fact]
    public void AFullBackendHoldsTheGuestBufferUntilItHasRoom()
    {
        var channel = new FakePortBackend(outputCapacity: 4);
        var (rig, _, _) = OpenChannel(channel);
        using var _r = rig;
        rig.Transmit(1, "0123456789"u8.ToArray());
        Assert.Equal("0123"u8.ToArray(), channel.Output.ToArray());
        Assert.Equal(0, rig.Set.Drivers[5].UsedIdx); // held

        rig.Transmit(1, "second"u8.ToArray()); // queued behind the held one
        Assert.Equal(4, channel.Output.Count);

        channel.Output.Clear();
        rig.Device.ServicePending(); // the backend woke the device after draining
        Assert.Equal("4567"u8.ToArray(), channel.Output.ToArray());
        channel.Output.Clear();
        channel.OutputCapacity = 1000;
        rig.Device.ServicePending();
        Assert.Equal("89second"u8.ToArray(), channel.Output.ToArray());
        Assert.Equal(2, rig.Set.Drivers[5].UsedIdx);
        Assert.Equal(0, rig.Device.Ports[1].BytesDropped);
    }

    [Fact]
    public void OutputWithNoHostPeerIsDroppedAndCounted()
    {
        var channel = new FakePortBackend(connected: false);
        var (rig, _, _) = OpenChannel(channel);
        using var _r = rig;
        rig.Transmit(1, "lost"u8.ToArray());
        Assert.Empty(channel.Output);
        Assert.Equal(1, rig.Set.Drivers[5].UsedIdx);
        Assert.Equal(4, rig.Device.Ports[1].BytesDropped);
    }

    [Fact]
    public void AHeldBufferIsDroppedWhenThePeerGoesAway()
    {
        var channel = new FakePortBackend(outputCapacity: 2);
        var (rig, _, _) = OpenChannel(channel);
        using var _r = rig;
        rig.Transmit(1, "abcdef"u8.ToArray());
        channel.Connected = false;
        rig.Device.ServicePending();
        Assert.Equal(1, rig.Set.Drivers[5].UsedIdx);
        Assert.Equal(4, rig.Device.Ports[1].BytesDropped);
        Assert.Equal(2, rig.Device.Ports[1].BytesFromGuest);
    }

    [Fact]
    public void ReceiveChainsWithoutWritableBytesAndBadChainsCompleteEmpty()
    {
        var (rig, _, channel) = OpenChannel();
        using var _r = rig;
        rig.Set.OfferBytes(4, [1, 2]);                   // readable only
        rig.Set.Offer(4, (0xFFFF_0000, 16, true));       // outside RAM
        ulong good = rig.Set.OfferWritable(4, 16);
        channel.Feed("ok"u8.ToArray());
        rig.Device.ServicePending();
        Assert.Equal([(0u, 0u), (1u, 0u), (2u, 2u)], rig.Set.UsedSince(4, 0));
        Assert.Equal("ok"u8.ToArray(), rig.Set.Read(good, 2));
        Assert.Empty(rig.Set.Interrupt.NeedsResetReasons);
    }

    [Fact]
    public void WithoutMultiportPortZeroIsAPlainConsole()
    {
        var console = new FakePortBackend();
        using var rig = new ConsoleRig([new ConsolePortSpec(console, null, true), new ConsolePortSpec(new FakePortBackend(), "x")], multiport: false);
        Assert.False(rig.Device.IsMultiport);
        rig.Transmit(0, "boot log"u8.ToArray());
        Assert.Equal("boot log"u8.ToArray(), console.Output.ToArray());
        console.Feed((byte)'y');
        ulong buffer = rig.GiveReceiveBuffer(0, 8);
        Assert.Equal((byte)'y', rig.Set.Read(buffer, 1)[0]);

        // No control queues, no other ports.
        rig.GiveControlBuffers(4);
        rig.SendControl(ConsoleRig.BadId, E.DeviceReady, 1);
        Assert.Empty(rig.TakeAnnouncements());
        rig.Transmit(1, "x"u8.ToArray());
        Assert.Equal(0, rig.Set.Drivers[5].UsedIdx);
    }

    [Fact]
    public void EachPortsTrafficStaysOnItsOwnQueues()
    {
        var a = new FakePortBackend();
        var b = new FakePortBackend();
        using var rig = ConsoleRig.WithPorts((null, true, new FakePortBackend()), ("a", false, a), ("b", false, b));
        rig.Handshake();
        rig.SendControl(1, E.PortOpen, 1);
        rig.SendControl(2, E.PortOpen, 1);
        rig.Transmit(1, "to-a"u8.ToArray());
        rig.Transmit(2, "to-b"u8.ToArray());
        a.Feed("from-a"u8.ToArray());
        b.Feed("from-b"u8.ToArray());
        ulong ra = rig.GiveReceiveBuffer(1, 16);
        ulong rb = rig.GiveReceiveBuffer(2, 16);
        Assert.Equal("to-a"u8.ToArray(), a.Output.ToArray());
        Assert.Equal("to-b"u8.ToArray(), b.Output.ToArray());
        Assert.Equal("from-a"u8.ToArray(), rig.Set.Read(ra, 6));
        Assert.Equal("from-b"u8.ToArray(), rig.Set.Read(rb, 6));
    }

    [Fact]
    public void MovingDataAllocatesNothing()
    {
        var (rig, _, channel) = OpenChannel();
        using var _r = rig;
        var payload = new byte[200];
        ulong tx = rig.Set.Allocate(200), rx = rig.Set.Allocate(256);
        rig.Set.Memory.Write(tx, payload);
        void Offer()
        {
            for (int i = 0; i < 4; i++)
            {
                rig.Set.Offer(5, (tx, 200, false));
                rig.Set.Offer(4, (rx, 256, true));
            }
        }
        var inbound = new byte[4 * 200];
        var windows = Allocations.Measure(
            prepare: () =>
            {
                Offer();
                channel.Feed(inbound); // the fake's queue grows outside the measured window
                channel.Output.Capacity = channel.Output.Count + 4096;
            },
            measured: () =>
            {
                rig.Device.QueueNotify(5);
                rig.Device.ServicePending();
            });
        Assert.Equal(windows.Runs * 4, rig.Set.Drivers[5].UsedIdx);
        Assert.Equal(windows.Runs * 4, rig.Set.Drivers[4].UsedIdx);
        windows.AssertNothingAllocated("moving 4 buffers each way");
    }
}
