using Xenon.Devices.Pci;
using Xenon.Devices.State;
using Xenon.Devices.Virtio.Pci;

namespace Xenon.Devices.Tests.State;

public sealed class VirtioPciFunctionStateTests
{
    private const ulong Features = VirtioTransportFeatures.Version1 | VirtioTransportFeatures.EventIdx;

    [Fact]
    public void AQueueRestoredMidFlightCompletesWhatTheDriverHadOffered()
    {
        using var source = new VirtioStateRig(new EchoVirtioDevice.Stateful());
        source.Start(Features);
        source.Offer(0);
        source.Offer(1);
        source.Transport.NotifyQueue(0);
        Assert.Equal(2, source.Driver.UsedIdx);
        source.Driver.SetUsedEvent(2); // the driver wants an interrupt once the device passes used index 2
        // Three more requests whose kick the old process never served.
        source.Offer(2);
        source.Offer(3);
        source.Offer(4);
        var saved = source.SaveAll();

        using var target = new VirtioStateRig(new EchoVirtioDevice.Stateful());
        source.CopyMemoryTo(target);
        target.RestoreAll(saved);

        var echo = (EchoVirtioDevice)target.Device;
        Assert.Equal(5, echo.Completed); // two from before the save (device-model state) and three after
        Assert.Equal(5, target.Driver.UsedIdx);
        Assert.Equal([2, 3, 4], echo.Heads.Select(h => (int)h));
        for (int slot = 2; slot < 5; slot++) Assert.Equal((uint)slot, target.Driver.UsedElement(slot).Id);
        Assert.Contains(target.Msi.Messages, m => m.Data == 0x41); // MSI-X table and vector came back with the function
        Assert.Equal(source.Pci.Root.MappedAddress(source.Address, VirtioPciLayout.RegisterBar),
            target.Pci.Root.MappedAddress(target.Address, VirtioPciLayout.RegisterBar));
    }

    [Fact]
    public void StateBeforeEqualsStateAfter()
    {
        using var source = new VirtioStateRig(new EchoVirtioDevice());
        source.Start(Features);
        source.Offer(0);
        source.Transport.NotifyQueue(0);
        source.WriteCommon(VirtioCommonCfg.QueueSelect, 0, 2);
        var saved = source.SaveAll();

        using var target = new VirtioStateRig(new EchoVirtioDevice());
        source.CopyMemoryTo(target);
        target.RestoreAll(saved);
        var again = target.SaveAll();
        Assert.Equal(saved.Select(s => s.Id), again.Select(s => s.Id));
        for (int i = 0; i < saved.Count; i++) Assert.Equal(saved[i].Blob, again[i].Blob);
    }

    [Fact]
    public void DeviceModelStateMustBePresentExactlyWhenTheModelKeepsSome()
    {
        using var withState = new VirtioStateRig(new EchoVirtioDevice.Stateful());
        using var without = new VirtioStateRig(new EchoVirtioDevice());
        byte[] a = StateBlob.Save(withState.Transport), b = StateBlob.Save(without.Transport);
        Assert.Contains("keeps none", Assert.Throws<DeviceStateException>(() => without.Transport.RestoreState(a)).Message);
        Assert.Contains("needs some", Assert.Throws<DeviceStateException>(() => withState.Transport.RestoreState(b)).Message);
    }

    [Fact]
    public void HostileTransportStatesAreRefusedWithAReason()
    {
        using var rig = new VirtioStateRig(new EchoVirtioDevice());
        rig.Start(Features);
        var good = rig.Transport.GetState();
        var config = rig.Transport.Config.GetState();
        var msiX = rig.Transport.MsiX.GetState();

        string Refusal(VirtioPciState transport, Xenon.Devices.Pci.PciConfigSpaceState? cfg = null)
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            VirtioPciStateCodec.Write(buffer, new VirtioPciFunctionState(cfg ?? config, msiX, transport, null));
            using var fresh = new VirtioStateRig(new EchoVirtioDevice());
            return Assert.Throws<DeviceStateException>(() => fresh.Transport.RestoreState(buffer.WrittenSpan)).Message;
        }

        var q = good.Queues[0];
        Assert.Contains("enabled", Refusal(good with { Queues = [q with { AvailRing = 0x7fff_0000 }] }));
        Assert.Contains("in flight", Refusal(good with { Queues = [q with { NextAvail = 100, NextUsed = 10 }] }));
        Assert.Contains("invalid", Refusal(good with { Queues = [q with { Size = 48 }] }));
        Assert.Contains("DRIVER_OK without FEATURES_OK", Refusal(good with { Status = VirtioStatusBits.DriverOk }));
        Assert.Contains("VERSION_1", Refusal(good with { DriverFeatures = VirtioTransportFeatures.EventIdx }));
        Assert.Contains("event idx", Refusal(good with { Queues = [q with { EventIdx = false }] }));
        Assert.Contains("1 queues", Refusal(good with { Queues = [q, q], QueueVectors = [1, 1] }));
        byte[] bytes = (byte[])config.Data.Clone();
        bytes[PciConfigOffsets.DeviceId] ^= 1;
        Assert.Contains("read-only", Refusal(good, new PciConfigSpaceState(bytes)));
    }

    [Fact]
    public void CorruptFunctionBlobsFailCleanly()
    {
        using var source = new VirtioStateRig(new EchoVirtioDevice.Stateful());
        source.Start(Features);
        source.Offer(0);
        byte[] blob = StateBlob.Save(source.Transport);
        var rigs = new List<VirtioStateRig>();
        try
        {
            StateBlob.AssertOnlyCleanFailures(blob, () =>
            {
                var rig = new VirtioStateRig(new EchoVirtioDevice.Stateful());
                rigs.Add(rig);
                return rig.Transport;
            });
        }
        finally
        {
            foreach (var r in rigs) r.Dispose();
        }
    }
}
