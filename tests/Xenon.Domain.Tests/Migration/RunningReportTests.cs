using Xenon.Domain.Migration;

namespace Xenon.Domain.Tests.Migration;

/// <summary>The Running frame's text: the state, and the receiver's resume time when it has one.</summary>
public sealed class RunningReportTests
{
    [Fact]
    public void ARunningReportCarriesItsResumeTimeAndReadsBack()
    {
        string text = RunningReport.Format(paused: false, 123_456_789_012);
        Assert.Equal("running resumed-at-ns=123456789012", text);
        Assert.Equal(new RunningReport("running", 123_456_789_012), RunningReport.Parse(text));
    }

    [Fact]
    public void APausedReportHasNoResumeTime()
    {
        Assert.Equal("paused", RunningReport.Format(paused: true, null));
        Assert.Equal(new RunningReport("paused", null), RunningReport.Parse("paused"));
    }

    [Fact]
    public void AnOlderReceiversPlainTextIsTheStateWithoutATime() =>
        Assert.Equal(new RunningReport("running", null), RunningReport.Parse("running"));

    [Theory]
    [InlineData("running resumed-at-ns=")]
    [InlineData("running resumed-at-ns=12x4")]
    [InlineData("running resumed-at-ns=-5")]
    [InlineData("running resumed-at-ns= 5")]
    [InlineData("running resumed-at-ns=99999999999999999999999")]
    public void AMalformedTimeIsOnlyAbsentTheStateStays(string text)
    {
        var report = RunningReport.Parse(text);
        Assert.Equal("running", report.State);
        Assert.Null(report.ResumedAtNs);
    }

    [Fact]
    public void TheResumeCountsOnlyInsideTheWindowTheSenderSaw()
    {
        var report = new RunningReport("running", 1_000_000_000 + 4_000_000);
        Assert.Equal(TimeSpan.FromMilliseconds(4), report.ResumedAfter(1_000_000_000, TimeSpan.FromMilliseconds(9)));
        // Before the pause, or after Running arrived: not the same clock (another host).
        Assert.Null(report.ResumedAfter(1_005_000_000, TimeSpan.FromMilliseconds(9)));
        Assert.Null(report.ResumedAfter(1_000_000_000, TimeSpan.FromMilliseconds(3)));
        Assert.Null(new RunningReport("running", null).ResumedAfter(0, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void NowIsOnTheStopwatchsClockInNanoseconds()
    {
        long before = RunningReport.TicksToNs(System.Diagnostics.Stopwatch.GetTimestamp());
        long now = RunningReport.NowNs();
        long after = RunningReport.TicksToNs(System.Diagnostics.Stopwatch.GetTimestamp());
        Assert.InRange(now, before, after);
        Assert.Equal(1_000_000_000L, RunningReport.TicksToNs(System.Diagnostics.Stopwatch.Frequency));
    }
}
