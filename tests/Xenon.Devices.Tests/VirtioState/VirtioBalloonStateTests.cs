using Xenon.Devices.State;
using Xenon.Devices.Tests.State;
using Xenon.Devices.Tests.VirtioBalloon;
using Xenon.Devices.Tests.VirtioConsole;
using BalloonDevice = Xenon.Devices.Virtio.Balloon.VirtioBalloon;
using Xenon.Devices.Virtio.Balloon;

namespace Xenon.Devices.Tests.VirtioState;

public sealed class VirtioBalloonStateTests
{
    private const int Inflate = 0, Deflate = 1, StatsQ = 2;

    [Fact]
    public void TargetCountsAndTheHeldStatsBufferSurviveTheRestore()
    {
        using var rig = new BalloonRig();
        rig.Device.SetTarget(300);
        rig.SendPfns(Inflate, BalloonRig.PfnRange(0x200000, 10 * 4096));
        rig.SendPfns(Deflate, BalloonRig.PfnRange(0x200000, 2 * 4096));
        rig.Device.WriteConfig(4, [8, 0, 0, 0]);
        ushort statsHead = rig.Set.OfferBytes(StatsQ, BalloonRig.Stats((4, 1000), (5, 4000)));
        rig.Device.QueueNotify(StatsQ);

        int changes = 0;
        var restored = new BalloonDevice(rig.Set.Memory, () => changes++, rig.Time);
        byte[] blob = ModelTransfer.Move(rig.Device, restored, rig.Set.Memory, rig.Set.Queues, rig.Device.DeviceFeatures, rig.Set.Interrupt, out _);
        Assert.Equal(blob, StateBlob.Save(restored));
        Assert.Equal(300ul, restored.TargetPages);
        Assert.Equal(8ul, restored.ActualPages);
        Assert.Equal(8ul, restored.InflatedPages);
        Assert.Equal(1000ul, restored.LatestStats!.FreeMemory);
        Assert.Equal(rig.Device.LatestStats!.ReceivedAt, restored.LatestStats.ReceivedAt);
        Assert.Equal(0, changes); // the guest saw the target's interrupt before the save

        Assert.True(restored.RequestStats()); // the held buffer goes back to the driver
        Assert.Equal(statsHead, (ushort)rig.Set.Drivers[StatsQ].UsedElement(0).Id);
    }

    [Fact]
    public void QuiesceHoldsKicksAndStatsRequests()
    {
        using var rig = new BalloonRig();
        rig.Set.OfferBytes(StatsQ, BalloonRig.Stats((4, 1)));
        rig.Device.QueueNotify(StatsQ);
        rig.Device.Quiesce();
        Assert.False(rig.Device.RequestStats());
        rig.SendPfns(Inflate, BalloonRig.PfnRange(0x200000, 4096));
        Assert.Equal(0ul, rig.Device.InflatedPages);
        rig.Device.Resume();
        Assert.Equal(1ul, rig.Device.InflatedPages);
        Assert.True(rig.Device.RequestStats());
    }

    [Fact]
    public void AHeldStatsBufferWithoutAStatsQueueSetsNeedsReset()
    {
        using var rig = new BalloonRig();
        rig.Set.OfferBytes(StatsQ, BalloonRig.Stats((4, 1)));
        rig.Device.QueueNotify(StatsQ);
        rig.Device.Quiesce();
        byte[] blob = StateBlob.Save(rig.Device);
        var restored = new BalloonDevice(rig.Set.Memory, () => { }, rig.Time);
        restored.RestoreState(blob);
        var interrupt = new QueueInterrupt();
        restored.Activate(rig.Device.DeviceFeatures & ~VirtioBalloonFeatures.StatsVq, ModelTransfer.CopyQueues(rig.Set.Memory, rig.Set.Queues), interrupt);
        Assert.Contains("statistics", Assert.Single(interrupt.NeedsResetReasons));
    }

    [Fact]
    public void HostileStatesAreRefusedByName()
    {
        using var rig = new BalloonRig();
        rig.Set.OfferBytes(StatsQ, BalloonRig.Stats((4, 1)));
        rig.Device.QueueNotify(StatsQ);
        byte[] blob = StateBlob.Save(rig.Device);
        Func<IStateful> fresh = () => new BalloonDevice(rig.Set.Memory, () => { }, rig.Time);
        static byte[] With(VirtioBalloonState s)
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            VirtioBalloonStateCodec.Write(buffer, s);
            return buffer.WrittenSpan.ToArray();
        }
        var good = rig.Device.GetState();
        Assert.Contains("'target'", Assert.Throws<DeviceStateException>(() => fresh().RestoreState(With(good with { TargetPages = uint.MaxValue }))).Message);
        Assert.Contains("'stats buffer head'", Assert.Throws<DeviceStateException>(() => fresh().RestoreState(With(good with { HeldStatsHead = 500 }))).Message);
        Assert.Contains("'active'", Assert.Throws<DeviceStateException>(() => fresh().RestoreState(With(good with { Active = false }))).Message);
        var badMask = (byte[])blob.Clone();
        // The present-tags mask sits 4 + 16×8 bytes before the end.
        badMask[^(8 * 16 + 1)] = 0xff;
        Assert.Contains("'statistics present tags'", Assert.Throws<DeviceStateException>(() => fresh().RestoreState(badMask)).Message);
        ModelTransfer.AssertRefusesKindAndVersion(blob, [3, (byte)'a', (byte)'b', (byte)'c', 1, 0], fresh, VirtioBalloonStateCodec.Kind);
        Assert.True(StateBlob.AssertOnlyCleanFailures(blob, fresh) > 0);
    }
}
