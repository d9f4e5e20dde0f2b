using Xenon.Devices.State;
using Xenon.Devices.Tests.State;
using Xenon.Devices.Tests.VirtioBlock;
using Xenon.Devices.Virtio.Block;
using Xenon.Devices.Virtio.Pci;
using BlockDevice = Xenon.Devices.Virtio.Block.VirtioBlock;

namespace Xenon.Devices.Tests.VirtioState;

public sealed class VirtioBlockStateTests
{
    [Fact]
    public void ARequestOfferedBeforeTheSaveCompletesAfterTheRestore()
    {
        using var rig = new BlockRig(serial: "xvda");
        Assert.Equal(BlockStatus.Ok, rig.Read(0, BlockRig.DataAddress, 512).Status);
        // Offered but not kicked: the saving device never saw it.
        rig.WriteHeader(BlockRequestType.In, 3);
        ushort head = rig.Driver.AddChain((BlockRig.HeaderAddress, 16, false), (BlockRig.DataAddress + 4096, 1024, true), (BlockRig.StatusAddress, 1, true));
        rig.Driver.Offer(head);

        var restored = new BlockDevice(rig.Memory, rig.Backend, "xvda");
        var interrupt = new RecordingInterrupt();
        byte[] blob = ModelTransfer.Move(rig.Device, restored, rig.Memory, [rig.Queue], rig.Device.DeviceFeatures, interrupt, out var queues);
        Assert.Equal(blob, StateBlob.Save(restored));

        restored.QueueNotify(0);
        Assert.Equal((ushort)2, rig.Driver.UsedIdx);
        Assert.Equal((head, 1025u), rig.Driver.UsedElement(1));
        Assert.Equal(BlockStatus.Ok, (BlockStatus)rig.Memory.Read<byte>(BlockRig.StatusAddress));
        Assert.Equal(rig.Initial.AsSpan(3 * 512, 1024).ToArray(), rig.GuestBytes(BlockRig.DataAddress + 4096, 1024));
        Assert.Equal(1, interrupt.UsedBufferSignals);
    }

    [Fact]
    public void ADiskThatChangedSizeIsRefusedNamingTheCapacity()
    {
        using var saved = new BlockRig(sectors: 64, serial: "xvda");
        using var grown = new BlockRig(sectors: 128, serial: "xvda");
        byte[] blob = StateBlob.Save(saved.Device);
        var e = Assert.Throws<DeviceStateException>(() => new BlockDevice(grown.Memory, grown.Backend, "xvda").RestoreState(blob));
        Assert.Contains("'capacity'", e.Message);
        Assert.Contains("changed size", e.Message);
    }

    [Fact]
    public void AnotherDisksSerialOrAccessIsRefused()
    {
        using var rig = new BlockRig(serial: "xvda");
        byte[] blob = StateBlob.Save(rig.Device);
        Assert.Contains("'serial'", Assert.Throws<DeviceStateException>(() => new BlockDevice(rig.Memory, rig.Backend, "xvdb").RestoreState(blob)).Message);
        using var readOnly = new BlockRig(serial: "xvda", readOnly: true);
        Assert.Contains("'read-only'", Assert.Throws<DeviceStateException>(() => new BlockDevice(readOnly.Memory, readOnly.Backend, "xvda").RestoreState(blob)).Message);
    }

    [Fact]
    public void KicksWhileQuiescedAreServedOnResume()
    {
        using var rig = new BlockRig();
        rig.Device.Quiesce();
        rig.WriteHeader(BlockRequestType.In, 0);
        rig.Driver.Offer(rig.Driver.AddChain((BlockRig.HeaderAddress, 16, false), (BlockRig.DataAddress, 512, true), (BlockRig.StatusAddress, 1, true)));
        rig.Device.QueueNotify(0);
        Assert.Equal((ushort)0, rig.Driver.UsedIdx);
        rig.Device.Resume();
        Assert.Equal((ushort)1, rig.Driver.UsedIdx);
        rig.Device.Resume(); // idempotent
    }

    [Fact]
    public void ANeedsResetDeviceStaysStoppedAfterRestore()
    {
        using var rig = new BlockRig();
        rig.Driver.SetAvailIdx(1000); // far ahead of the ring: a ring fault
        rig.Device.QueueNotify(0);
        Assert.Single(rig.Interrupt.NeedsResetReasons);
        var restored = new BlockDevice(rig.Memory, rig.Backend);
        ModelTransfer.Move(rig.Device, restored, rig.Memory, [rig.Queue], rig.Device.DeviceFeatures, new RecordingInterrupt(), out _);
        Assert.True(restored.GetState().NeedsReset);
        restored.Reset();
        Assert.False(restored.GetState().NeedsReset);
    }

    [Fact]
    public void MalformedBlobsAreRefusedWithTheFieldNamed()
    {
        using var rig = new BlockRig(serial: "xvda");
        byte[] blob = StateBlob.Save(rig.Device);
        Func<Xenon.Devices.State.IStateful> fresh = () => new BlockDevice(rig.Memory, rig.Backend, "xvda");
        ModelTransfer.AssertRefusesKindAndVersion(blob, [3, (byte)'a', (byte)'b', (byte)'c', 1, 0], fresh, VirtioBlockStateCodec.Kind);
        var inactive = StateBlob.Save(new BlockDevice(rig.Memory, rig.Backend, "xvda"));
        inactive[^1] = 1; // needs reset without a started driver
        Assert.Contains("'needs reset'", Assert.Throws<DeviceStateException>(() => fresh().RestoreState(inactive)).Message);
        Assert.True(StateBlob.AssertOnlyCleanFailures(blob, fresh) > 0);
    }

    [Fact]
    public void TheTransportCarriesTheBlockStateAndTheRestoredDomainCompletesTheOfferedRequest()
    {
        using var saving = new BlockRig(serial: "xvda", queueSize: VirtioStateRig.QueueSize);
        using var a = new VirtioStateRig(new BlockDevice(saving.Memory, saving.Backend, "xvda", VirtioStateRig.QueueSize));
        using var b = new VirtioStateRig(new BlockDevice(saving.Memory, saving.Backend, "xvda", VirtioStateRig.QueueSize));
        a.Start(a.Transport.OfferedFeatures);
        // A chain with no header and no data phase (the device answers IOERR in its last byte), so the block device's
        // own memory (the backend rig's) is never touched: only the transport's rings matter here.
        ushort head = a.Offer(0);
        ((BlockDevice)a.Device).Quiesce();
        var saved = a.SaveAll();
        a.CopyMemoryTo(b);
        b.RestoreAll(saved);
        Assert.Equal((byte)(VirtioStatusBits.Acknowledge | VirtioStatusBits.Driver | VirtioStatusBits.FeaturesOk | VirtioStatusBits.DriverOk), b.Transport.Status);
        Assert.Equal((ushort)1, b.Driver.UsedIdx); // RestoreCompleted kicked the queue
        Assert.Equal((head, 1u), b.Driver.UsedElement(0));
    }
}
