using Xenon.Devices.State;
using Xenon.Devices.Tests.Fakes;
using Xenon.Devices.Tests.State;
using Xenon.Devices.Tests.VirtioConsole;
using Xenon.Devices.Virtio.Rng;
using RngDevice = Xenon.Devices.Virtio.Rng.VirtioRng;

namespace Xenon.Devices.Tests.VirtioState;

public sealed class VirtioRngStateTests
{
    private static readonly VirtioRngOptions Limited = new() { MaxBytesPerPeriod = 100, Period = TimeSpan.FromSeconds(1) };

    [Fact]
    public void AUsedQuotaStaysUsedAcrossTheRestoreAndRefillsOnTime()
    {
        using var set = new QueueSet(1);
        var time = new ManualTimeProvider(DateTimeOffset.UnixEpoch);
        using var saving = new RngDevice(set.Memory, Limited, () => { }, time: time);
        saving.Activate(saving.DeviceFeatures, set.Queues, set.Interrupt);
        set.OfferWritable(0, 100);
        saving.QueueNotify(0);
        time.Advance(TimeSpan.FromMilliseconds(400));

        int wakes = 0;
        using var restored = new RngDevice(set.Memory, Limited, () => wakes++, time: time);
        byte[] blob = ModelTransfer.Move(saving, restored, set.Memory, set.Queues, saving.DeviceFeatures, set.Interrupt, out _);
        Assert.Equal(blob, StateBlob.Save(restored));
        Assert.Equal(100, restored.BytesServed);
        Assert.Equal(1, restored.RequestsServed);

        set.OfferWritable(0, 50);
        restored.QueueNotify(0);
        Assert.Equal(1, set.Drivers[0].UsedIdx); // throttled: the quota was spent before the save
        time.Advance(TimeSpan.FromMilliseconds(600)); // the window that opened 1 s ago closes; its timer fires
        Assert.Equal(1, wakes);
        restored.ServicePending();
        Assert.Equal(2, set.Drivers[0].UsedIdx);
    }

    [Fact]
    public void QuiescedKicksAreServedOnResume()
    {
        using var set = new QueueSet(1);
        using var rng = new RngDevice(set.Memory);
        rng.Activate(rng.DeviceFeatures, set.Queues, set.Interrupt);
        rng.Quiesce();
        set.OfferWritable(0, 16);
        rng.QueueNotify(0);
        Assert.Equal(0, set.Drivers[0].UsedIdx);
        rng.Resume();
        Assert.Equal(1, set.Drivers[0].UsedIdx);
    }

    [Fact]
    public void MalformedStatesAreRefusedByName()
    {
        using var set = new QueueSet(1);
        using var rng = new RngDevice(set.Memory);
        byte[] blob = StateBlob.Save(rng);
        static byte[] With(VirtioRngState s)
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            VirtioRngStateCodec.Write(buffer, s);
            return buffer.WrittenSpan.ToArray();
        }
        var good = rng.GetState();
        Assert.Contains("'window used'", Assert.Throws<DeviceStateException>(() => new RngDevice(set.Memory).RestoreState(With(good with { WindowUsed = 5 }))).Message);
        Assert.Contains("'needs reset'", Assert.Throws<DeviceStateException>(() => new RngDevice(set.Memory).RestoreState(With(good with { NeedsReset = true }))).Message);
        Assert.Contains("'bytes served'", Assert.Throws<DeviceStateException>(() => new RngDevice(set.Memory).RestoreState(With(good with { BytesServed = -1 }))).Message);
        ModelTransfer.AssertRefusesKindAndVersion(blob, [3, (byte)'a', (byte)'b', (byte)'c', 1, 0], () => new RngDevice(set.Memory), VirtioRngStateCodec.Kind);
        Assert.True(StateBlob.AssertOnlyCleanFailures(blob, () => new RngDevice(set.Memory)) > 0);
    }
}
