using Xenon.Devices.State;
using Xenon.Devices.Tests.State;
using Xenon.Devices.Tests.VirtioNet;
using Xenon.Devices.Virtio.Net;
using NetDevice = Xenon.Devices.Virtio.Net.VirtioNet;

namespace Xenon.Devices.Tests.VirtioState;

public sealed class VirtioNetStateTests
{
    private static NetDevice Fresh(NetRig rig, FakeNetBackend? backend = null) =>
        new(rig.Memory, backend ?? new FakeNetBackend(), NetRig.Mac, mtu: 1500, queueSize: 16);

    [Fact]
    public void AFrameWaitingForBuffersAndItsStashedChainSurviveTheRestore()
    {
        using var rig = new NetRig();
        var frame = NetRig.Frame(300, seed: 7);
        var (firstHead, firstAddress) = rig.PostRx(100);
        rig.Backend.Enqueue(NetRig.Packet(frame));
        rig.Device.OnBackendReadable();
        Assert.Equal((ushort)0, rig.Rx.UsedIdx); // 312 bytes do not fit 100: the chain is stashed, the frame waits

        var backend = new FakeNetBackend();
        var restored = Fresh(rig, backend);
        var interrupt = new NetInterrupt();
        byte[] blob = ModelTransfer.Move(rig.Device, restored, rig.Memory, [rig.RxQueue, rig.TxQueue], rig.AllFeatures, interrupt, out _);
        Assert.Equal(blob, StateBlob.Save(restored));
        var state = restored.GetState();
        Assert.Equal(312, state.PendingFrame.Length);
        Assert.Equal([firstHead], state.StashedHeads);

        var (secondHead, secondAddress) = rig.PostRx(1000);
        restored.QueueNotify(NetDevice.ReceiveQueue);
        Assert.Equal((ushort)2, rig.Rx.UsedIdx);
        Assert.Equal((firstHead, 100u), rig.Rx.UsedElement(0));
        Assert.Equal((secondHead, 212u), rig.Rx.UsedElement(1));
        byte[] delivered = [.. rig.GuestBytes(firstAddress, 100), .. rig.GuestBytes(secondAddress, 212)];
        Assert.Equal(2, VirtioNetHeader.GetNumBuffers(delivered));
        Assert.Equal(frame, delivered[VirtioNetHeader.Size..]);
        Assert.Equal(1, restored.Counters.RxPackets);
        Assert.Equal(1, interrupt.Signals(NetDevice.ReceiveQueue));
    }

    [Fact]
    public void CountersCarryOverAndTransmitContinues()
    {
        using var rig = new NetRig();
        rig.Transmit(NetRig.Header(), NetRig.Frame(60));
        var backend = new FakeNetBackend();
        var restored = Fresh(rig, backend);
        ModelTransfer.Move(rig.Device, restored, rig.Memory, [rig.RxQueue, rig.TxQueue], rig.AllFeatures, new NetInterrupt(), out _);
        Assert.Equal(1, restored.Counters.TxPackets);
        Assert.Equal(60, restored.Counters.TxBytes);
        restored.QueueNotify(NetDevice.ReceiveQueue); // the transport's kick after a restore (RestoreCompleted)
        Assert.True(backend.Interested);

        rig.Memory.Write(NetRig.TxBuffers, (byte[])[.. NetRig.Header(), .. NetRig.Frame(80, seed: 3)]);
        rig.Tx.Offer(rig.Tx.AddChain((NetRig.TxBuffers, VirtioNetHeader.Size + 80u, false)));
        restored.QueueNotify(NetDevice.TransmitQueue);
        Assert.Single(backend.Sent);
        Assert.Equal(2, restored.Counters.TxPackets);
    }

    [Fact]
    public void QuiesceStopsReceiveUntilResume()
    {
        using var rig = new NetRig();
        rig.PostRx(2048);
        rig.Device.Quiesce();
        Assert.False(rig.Backend.Interested);
        rig.Backend.Enqueue(NetRig.Packet(NetRig.Frame(100)));
        rig.Device.OnBackendReadable();
        rig.Device.QueueNotify(NetDevice.ReceiveQueue);
        Assert.Equal((ushort)0, rig.Rx.UsedIdx);
        Assert.Equal(1, rig.Backend.Pending);
        rig.Device.Resume();
        Assert.Equal((ushort)1, rig.Rx.UsedIdx);
        Assert.True(rig.Backend.Interested);
    }

    [Fact]
    public void AStashTheRingsDoNotHaveInFlightSetsNeedsResetInsteadOfUsingIt()
    {
        using var rig = new NetRig();
        var state = rig.Device.GetState() with { StashedHeads = [3], PendingFrame = NetRig.Packet(NetRig.Frame(60)) };
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        VirtioNetStateCodec.Write(buffer, state);
        var restored = Fresh(rig);
        restored.RestoreState(buffer.WrittenSpan);
        var interrupt = new NetInterrupt();
        restored.Activate(rig.AllFeatures, ModelTransfer.CopyQueues(rig.Memory, [rig.RxQueue, rig.TxQueue]), interrupt);
        Assert.Contains("in flight", Assert.Single(interrupt.NeedsResetReasons));
        Assert.True(restored.GetState().NeedsReset);
        Assert.Empty(restored.GetState().StashedHeads);
    }

    [Fact]
    public void AnotherNicsStateAndHostileFieldsAreRefusedByName()
    {
        using var rig = new NetRig();
        byte[] blob = StateBlob.Save(rig.Device);
        var other = new NetDevice(rig.Memory, new FakeNetBackend(), System.Net.NetworkInformation.PhysicalAddress.Parse("00-16-3E-09-09-09"), queueSize: 16);
        Assert.Contains("'mac'", Assert.Throws<DeviceStateException>(() => other.RestoreState(blob)).Message);
        var otherMtu = new NetDevice(rig.Memory, new FakeNetBackend(), NetRig.Mac, mtu: 9000, queueSize: 16);
        Assert.Contains("'mtu'", Assert.Throws<DeviceStateException>(() => otherMtu.RestoreState(blob)).Message);

        static byte[] With(VirtioNetState s)
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            VirtioNetStateCodec.Write(buffer, s);
            return buffer.WrittenSpan.ToArray();
        }
        var good = rig.Device.GetState();
        Assert.Contains("'stashed receive chain head'", Assert.Throws<DeviceStateException>(() => Fresh(rig).RestoreState(With(good with { StashedHeads = [16] }))).Message);
        Assert.Contains("'stashed receive chain head'", Assert.Throws<DeviceStateException>(() => Fresh(rig).RestoreState(With(good with { StashedHeads = [2, 2] }))).Message);
        Assert.Contains("'pending frame'", Assert.Throws<DeviceStateException>(() => Fresh(rig).RestoreState(With(good with { PendingFrame = new byte[5] }))).Message);
        Assert.Contains("'active'", Assert.Throws<DeviceStateException>(() => Fresh(rig).RestoreState(With(good with { Active = false, StashedHeads = [1] }))).Message);
        var negative = (long[])good.Counters.Clone();
        negative[0] = -1;
        Assert.Contains("'counter'", Assert.Throws<DeviceStateException>(() => Fresh(rig).RestoreState(With(good with { Counters = negative }))).Message);

        ModelTransfer.AssertRefusesKindAndVersion(blob, [3, (byte)'a', (byte)'b', (byte)'c', 1, 0], () => Fresh(rig), VirtioNetStateCodec.Kind);
        Assert.True(StateBlob.AssertOnlyCleanFailures(blob, () => Fresh(rig)) > 0);
    }
}
