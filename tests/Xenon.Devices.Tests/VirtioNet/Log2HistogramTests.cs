using Xenon.Devices.Tests.Support;
using Xenon.Devices.Virtio.Net;

namespace Xenon.Devices.Tests.VirtioNet;

public sealed class Log2HistogramTests
{
    [Theory]
    [InlineData(-5, 0)]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 2)]
    [InlineData(4, 3)]
    [InlineData(1023, 10)]
    [InlineData(1024, 11)]
    [InlineData(long.MaxValue, 63)]
    public void ValuesLandInPowerOfTwoBuckets(long value, int bucket)
    {
        Assert.Equal(bucket, Log2Histogram.BucketOf(value));
        if (value >= 0) Assert.True(value <= Log2Histogram.UpperBound(bucket));
    }

    [Fact]
    public void PercentilesAreBucketBoundsCappedAtTheMaximum()
    {
        var h = new Log2Histogram();
        for (int i = 0; i < 90; i++) h.Record(10);
        for (int i = 0; i < 9; i++) h.Record(100);
        h.Record(5000);

        Assert.Equal(100, h.Count);
        Assert.Equal(15, h.Percentile(0.5));   // 10 is in [8, 16)
        Assert.Equal(15, h.Percentile(0.9));
        Assert.Equal(127, h.Percentile(0.99)); // 100 is in [64, 128)
        Assert.Equal(5000, h.Percentile(1.0));
        Assert.Equal(5000, h.Max);
        Assert.Equal(90 * 10 + 9 * 100 + 5000, h.Sum);
        Assert.Equal("n=100 mean 68us p50<=15us p90<=15us p99<=127us max 5000us", h.Format("us"));
    }

    [Fact]
    public void EmptyAndClearedHistogramsSayNothing()
    {
        var h = new Log2Histogram();
        Assert.Equal(0, h.Percentile(0.5));
        Assert.Equal("n=0", h.Format("us"));
        h.Record(3);
        h.Clear();
        Assert.Equal(0, h.Count);
        Assert.Equal(0, h.Max);
        Assert.Equal("n=0", h.Format("us"));
    }

    [Fact]
    public void RecordingAllocatesNothing()
    {
        var h = new Log2Histogram();
        var windows = Allocations.Measure(() =>
        {
            for (int i = 0; i < 1000; i++) h.Record(i * 37);
        });
        windows.AssertNothingAllocated("1000 records");
        Assert.Equal(windows.Runs * 1000L, h.Count);
    }
}
