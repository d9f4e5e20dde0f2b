using System.Text;
using Xenon.Devices.State;
using Xenon.Devices.Tests.State;
using Xenon.Devices.Tests.VirtioConsole;
using Xenon.Devices.Virtio.Console;
using ConsoleDevice = Xenon.Devices.Virtio.Console.VirtioConsole;

namespace Xenon.Devices.Tests.VirtioState;

public sealed class VirtioConsoleStateTests
{
    [Fact]
    public void AHalfWrittenTransmitChainContinuesFromItsOffsetAfterRestore()
    {
        var slow = new FakePortBackend(connected: true, outputCapacity: 4);
        using var rig = ConsoleRig.WithPorts((null, true, new FakePortBackend()), ("org.test.0", false, slow));
        rig.Handshake();
        rig.SendControl(1, ConsoleControlEvent.PortOpen, 1);
        ushort head = rig.Transmit(1, Encoding.ASCII.GetBytes("hello world"));
        Assert.Equal("hell", Encoding.ASCII.GetString([.. slow.Output]));

        var fast = new FakePortBackend();
        var restored = new ConsoleDevice(rig.Set.Memory, [new ConsolePortSpec(new FakePortBackend(), null, true), new ConsolePortSpec(fast, "org.test.0")], () => { }, 64);
        byte[] blob = ModelTransfer.Move(rig.Device, restored, rig.Set.Memory, rig.Set.Queues, rig.Device.DeviceFeatures, rig.Set.Interrupt, out _);
        Assert.Equal(blob, StateBlob.Save(restored));
        Assert.True(restored.Ports[1].GuestOpen);
        Assert.True(restored.Ports[1].GuestReady);
        Assert.Equal(4, restored.Ports[1].BytesFromGuest);

        restored.QueueNotify(restored.Ports[1].TransmitQueue);
        Assert.Equal("o world", Encoding.ASCII.GetString([.. fast.Output]));
        var used = rig.Set.UsedSince(restored.Ports[1].TransmitQueue, 0);
        Assert.Equal(head, (ushort)Assert.Single(used).Id);
    }

    [Fact]
    public void AnnouncementsWaitingForControlBuffersAreDeliveredAfterRestore()
    {
        using var rig = ConsoleRig.WithPorts((null, true, new FakePortBackend()), ("org.test.0", false, new FakePortBackend()));
        rig.SendControl(ConsoleRig.BadId, ConsoleControlEvent.DeviceReady, 1); // no control buffers yet
        var restored = new ConsoleDevice(rig.Set.Memory, [new ConsolePortSpec(new FakePortBackend(), null, true), new ConsolePortSpec(new FakePortBackend(), "org.test.0")], () => { }, 64);
        ModelTransfer.Move(rig.Device, restored, rig.Set.Memory, rig.Set.Queues, rig.Device.DeviceFeatures, rig.Set.Interrupt, out _);
        Assert.Equal(2, restored.GetState().PendingControl.Length);

        ulong buffer = rig.Set.OfferWritable(ConsoleRig.ControlRx, 64);
        rig.Set.OfferWritable(ConsoleRig.ControlRx, 64);
        restored.QueueNotify(ConsoleRig.ControlRx);
        var used = rig.Set.UsedSince(ConsoleRig.ControlRx, 0);
        Assert.Equal(2, used.Count);
        var first = ConsoleControlMessage.Decode(rig.Set.Read(buffer, ConsoleControlMessage.Size));
        Assert.Equal(new ConsoleControlMessage(0, ConsoleControlEvent.DeviceAdd, 1), first);
    }

    [Fact]
    public void QuiescedWorkWaitsForResume()
    {
        var backend = new FakePortBackend();
        using var rig = new ConsoleRig([new ConsolePortSpec(backend)], multiport: false);
        rig.Device.Quiesce();
        rig.Transmit(0, [1, 2, 3]);
        Assert.Empty(backend.Output);
        rig.Device.ServicePending();
        rig.Device.Resume();
        Assert.Equal([1, 2, 3], backend.Output);
    }

    [Fact]
    public void UnreadSocketInputIsSavedAndPutBackInFront()
    {
        string path = Path.Combine(Path.GetTempPath(), $"xenon-vcon-{Guid.NewGuid():N}.sock");
        using var backend = new UnixSocketPortBackend(path, 4096);
        Assert.Empty(backend.PeekInput());
        Assert.True(backend.TryRestoreInput("abc"u8));
        Assert.Equal("abc"u8.ToArray(), backend.PeekInput());
        Assert.Equal("abc"u8.ToArray(), backend.PeekInput()); // peeking consumes nothing
        Assert.False(backend.TryRestoreInput(new byte[4094]));
        Span<byte> read = stackalloc byte[8];
        Assert.Equal(3, backend.Read(read));
    }

    [Fact]
    public void HostileStatesAreRefusedByName()
    {
        using var rig = ConsoleRig.WithPorts((null, true, new FakePortBackend()), ("org.test.0", false, new FakePortBackend()));
        rig.Handshake();
        byte[] blob = StateBlob.Save(rig.Device);
        Func<IStateful> fresh = () => new ConsoleDevice(rig.Set.Memory,
            [new ConsolePortSpec(new FakePortBackend(), null, true), new ConsolePortSpec(new FakePortBackend(), "org.test.0")], () => { }, 64);
        var onePort = new ConsoleDevice(rig.Set.Memory, [new ConsolePortSpec(new FakePortBackend())], () => { }, 64);
        Assert.Contains("'port count'", Assert.Throws<DeviceStateException>(() => onePort.RestoreState(blob)).Message);

        static byte[] With(VirtioConsoleState s)
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            VirtioConsoleStateCodec.Write(buffer, s);
            return buffer.WrittenSpan.ToArray();
        }
        var good = rig.Device.GetState();
        Assert.Contains("'control message id'", Assert.Throws<DeviceStateException>(() =>
            fresh().RestoreState(With(good with { PendingControl = [new ConsoleControlMessage(7, ConsoleControlEvent.DeviceAdd, 1)] }))).Message);
        Assert.Contains("'control message event'", Assert.Throws<DeviceStateException>(() =>
            fresh().RestoreState(With(good with { PendingControl = [new ConsoleControlMessage(0, ConsoleControlEvent.PortReady, 1)] }))).Message);
        Assert.Contains("'port pending input'", Assert.Throws<DeviceStateException>(() =>
            fresh().RestoreState(With(good with { Ports = [good.Ports[0] with { PendingInput = [1] }, good.Ports[1]] }))).Message);
        Assert.Contains("'port transmit head'", Assert.Throws<DeviceStateException>(() =>
            fresh().RestoreState(With(good with { Ports = [good.Ports[0] with { TransmitPending = true, TransmitHead = 64 }, good.Ports[1]] }))).Message);

        ModelTransfer.AssertRefusesKindAndVersion(blob, [3, (byte)'a', (byte)'b', (byte)'c', 1, 0], fresh, VirtioConsoleStateCodec.Kind);
        Assert.True(StateBlob.AssertOnlyCleanFailures(blob, fresh) > 0);
    }
}
