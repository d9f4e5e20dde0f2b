using Xenon.Devices.Virtio.Balloon;

namespace Xenon.Devices.Tests.VirtioBalloon;

/// <summary>The statistics queue protocol: the device keeps the driver's buffer and returns it to ask for more.</summary>
public sealed class VirtioBalloonStatsTests
{
    private const int StatsQ = 2;

    [Fact]
    public void TheFirstBufferIsParsedAndHeld()
    {
        using var rig = new BalloonRig();
        Assert.Null(rig.Device.LatestStats);
        rig.Set.OfferBytes(StatsQ, BalloonRig.Stats((4, 1000), (5, 4000), (6, 2500), (0, 7)));
        rig.Device.QueueNotify(StatsQ);

        var stats = rig.Device.LatestStats!;
        Assert.Equal(1000UL, stats.FreeMemory);
        Assert.Equal(4000UL, stats.TotalMemory);
        Assert.Equal(2500UL, stats.AvailableMemory);
        Assert.Equal(7UL, stats.SwapIn);
        Assert.Null(stats.SwapOut);
        Assert.Null(stats.DiskCaches);
        Assert.Equal(rig.Time.GetUtcNow(), stats.ReceivedAt);
        Assert.False(stats.Truncated);
        Assert.Equal(0, rig.Set.Drivers[StatsQ].UsedIdx); // held, not returned
    }

    [Fact]
    public void RequestingStatsReturnsTheBufferAndTheRefillIsRead()
    {
        using var rig = new BalloonRig();
        Assert.False(rig.Device.RequestStats()); // nothing to return yet
        ushort head = rig.Set.OfferBytes(StatsQ, BalloonRig.Stats((4, 1)));
        rig.Device.QueueNotify(StatsQ);

        Assert.True(rig.Device.RequestStats());
        Assert.Equal([(head, 0u)], rig.Set.UsedSince(StatsQ, 0));
        Assert.Equal(1, rig.Set.Interrupt.Signals(StatsQ));
        Assert.False(rig.Device.RequestStats()); // already asked; the driver has not answered

        rig.Time.Advance(TimeSpan.FromSeconds(10));
        rig.Set.OfferBytes(StatsQ, BalloonRig.Stats((4, 2), (7, 99)));
        rig.Device.QueueNotify(StatsQ);
        Assert.Equal(2UL, rig.Device.LatestStats!.FreeMemory);
        Assert.Equal(99UL, rig.Device.LatestStats.DiskCaches);
        Assert.Equal(rig.Time.GetUtcNow(), rig.Device.LatestStats.ReceivedAt);
        Assert.True(rig.Device.RequestStats());
    }

    [Fact]
    public void NewerLinuxTagsAreKeptAndUnknownOnesCounted()
    {
        using var rig = new BalloonRig();
        rig.Set.OfferBytes(StatsQ, BalloonRig.Stats((10, 3), (15, 4096), (16, 1), (0xffff, 2), (4, 5), (4, 6)));
        rig.Device.QueueNotify(StatsQ);
        var stats = rig.Device.LatestStats!;
        Assert.Equal(3UL, stats.OomKills);
        Assert.Equal(4096UL, stats.Get(BalloonStatTag.DirectReclaimed));
        Assert.Equal(2, stats.UnknownTags);
        Assert.Equal(6UL, stats.FreeMemory); // a repeated tag keeps its last value
    }

    [Fact]
    public void RaggedAndOversizedBuffersAreTruncatedNotRejected()
    {
        using var rig = new BalloonRig();
        var bytes = BalloonRig.Stats((4, 11), (5, 22)).Concat(new byte[] { 1, 2, 3 }).ToArray();
        rig.Set.OfferBytes(StatsQ, bytes);
        rig.Device.QueueNotify(StatsQ);
        Assert.True(rig.Device.LatestStats!.Truncated);
        Assert.Equal(22UL, rig.Device.LatestStats.TotalMemory);

        var many = BalloonRig.Stats([.. Enumerable.Range(0, 100).Select(i => ((ushort)4, (ulong)i))]);
        rig.Set.OfferBytes(StatsQ, many);
        rig.Device.QueueNotify(StatsQ);
        Assert.True(rig.Device.LatestStats!.Truncated);
        Assert.Equal((ulong)(BalloonStats.MaxEntries - 1), rig.Device.LatestStats.FreeMemory);
    }

    [Fact]
    public void ASecondBufferReturnsTheFirst()
    {
        using var rig = new BalloonRig();
        ushort first = rig.Set.OfferBytes(StatsQ, BalloonRig.Stats((4, 1)));
        rig.Device.QueueNotify(StatsQ);
        rig.Set.OfferBytes(StatsQ, BalloonRig.Stats((4, 2)));
        rig.Device.QueueNotify(StatsQ);
        Assert.Equal([(first, 0u)], rig.Set.UsedSince(StatsQ, 0));
        Assert.Equal(2UL, rig.Device.LatestStats!.FreeMemory);
    }

    [Fact]
    public void AnEmptyOrWriteOnlyBufferGivesAnEmptySnapshot()
    {
        using var rig = new BalloonRig();
        rig.Set.Offer(StatsQ, (rig.Set.Allocate(20), 20, true));
        rig.Device.QueueNotify(StatsQ);
        var stats = rig.Device.LatestStats!;
        Assert.Null(stats.FreeMemory);
        Assert.False(stats.Truncated);
        Assert.True(rig.Device.RequestStats());
    }

    [Fact]
    public void StatsDoNotSurviveAResetAsARequestableBuffer()
    {
        using var rig = new BalloonRig();
        rig.Set.OfferBytes(StatsQ, BalloonRig.Stats((4, 1)));
        rig.Device.QueueNotify(StatsQ);
        rig.Device.Reset();
        Assert.False(rig.Device.RequestStats());
        Assert.Equal(1UL, rig.Device.LatestStats!.FreeMemory); // the last report stays readable
    }
}
