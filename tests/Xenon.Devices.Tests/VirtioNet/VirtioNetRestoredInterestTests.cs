using Xenon.Devices.Tests.VirtioState;
using NetDevice = Xenon.Devices.Virtio.Net.VirtioNet;

namespace Xenon.Devices.Tests.VirtioNet;

/// <summary>A restored activation leaves receive interest off: the transport's kick of every queue after the restore
/// (RestoreCompleted) turns it on from the I/O thread, so that the restore never wakes the I/O thread into the device's
/// lock while it holds it. Nothing is lost in between: frames wait in the backend.</summary>
public sealed class VirtioNetRestoredInterestTests
{
    [Fact]
    public void TheKickAfterTheRestore_DeliversWhatWaitedAndTurnsInterestOn()
    {
        using var rig = new NetRig();
        var (head, _) = rig.PostRx(2048);
        var backend = new FakeNetBackend();
        var restored = new NetDevice(rig.Memory, backend, NetRig.Mac, mtu: 1500, queueSize: 16);
        var interrupt = new NetInterrupt();
        ModelTransfer.Move(rig.Device, restored, rig.Memory, [rig.RxQueue, rig.TxQueue], rig.AllFeatures, interrupt, out _);
        backend.Enqueue(NetRig.Packet(NetRig.Frame(100)));

        Assert.True(restored.IsActive);
        Assert.False(backend.Interested);
        Assert.False(restored.ReceiveInterest);
        Assert.Equal((ushort)0, rig.Rx.UsedIdx);

        restored.QueueNotify(NetDevice.ReceiveQueue);
        Assert.Equal((ushort)1, rig.Rx.UsedIdx);
        Assert.Equal((uint)head, rig.Rx.UsedElement(0).Id);
        Assert.Equal(0, backend.Pending);
        Assert.True(backend.Interested);
        Assert.Equal(1, restored.Counters.RxPackets);
    }

    [Fact]
    public void ADriversOwnActivation_StillWatchesTheBackendAtOnce()
    {
        using var rig = new NetRig();
        Assert.True(rig.Backend.Interested);
        Assert.True(rig.Device.ReceiveInterest);
    }
}
