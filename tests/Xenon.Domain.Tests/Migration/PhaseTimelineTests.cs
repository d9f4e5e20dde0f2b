using Xenon.Domain.Migration;

namespace Xenon.Domain.Tests.Migration;

/// <summary>The one-line report of where a migration's time went: each step's duration and when it ended, in order.</summary>
public sealed class PhaseTimelineTests
{
    [Fact]
    public void EachStepReportsItsDurationAndItsEnd()
    {
        var phases = new PhaseTimeline();
        phases.Mark("ready");
        Thread.Sleep(20);
        phases.Mark("paused");
        string line = phases.ToString();

        Assert.Matches(@"^ready \+\d+\.\d \(\d+\.\d\), paused \+\d+\.\d \(\d+\.\d\) ms$", line);
        Assert.True(phases.At("paused") - phases.At("ready") >= 15);
        Assert.Equal(-1, phases.At("running"));
    }

    [Fact]
    public void AStepMarkedTwiceIsFoundAtItsLastMark()
    {
        var phases = new PhaseTimeline();
        phases.Mark("round");
        Thread.Sleep(5);
        phases.Mark("round");
        Assert.True(phases.At("round") >= 4);
    }
}
