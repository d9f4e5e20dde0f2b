using Xenon.Domain.Migration;

namespace Xenon.Domain.Tests.Migration;

/// <summary>The pre-copy round policy: when the dirty set is sent live again, and when the domain is paused for the last round.</summary>
public sealed class PrecopyRoundsTests
{
    private const ulong Ram = 256UL << 20;

    [Fact]
    public void ASmallDirtySetEndsPrecopyAtOnce()
    {
        var rounds = new PrecopyRounds(new MigrationPolicy { SmallDirtyPages = 50 }, Ram);
        Assert.Equal(PrecopyStopReason.Converged, rounds.Decide(50, Ram, bytesPerSecond: 0));
        Assert.Equal(0, rounds.Rounds);
    }

    [Fact]
    public void ADirtySetThatCrossesTheLinkWithinTheTargetEndsPrecopy()
    {
        // 1000 pages = 4.1 MB; at 10 GB/s that is 0.41 ms, within the 1 ms target; at 1 GB/s it is 4.1 ms.
        var policy = new MigrationPolicy { SmallDirtyPages = 0, FinalTransferTarget = TimeSpan.FromMilliseconds(1) };
        Assert.Equal(PrecopyStopReason.Converged, new PrecopyRounds(policy, Ram).Decide(1000, Ram, 10e9));
        Assert.Equal(PrecopyStopReason.None, new PrecopyRounds(policy, Ram).Decide(1000, Ram, 1e9));
    }

    [Fact]
    public void AShrinkingDirtySetGetsAnotherRound()
    {
        var rounds = new PrecopyRounds(new MigrationPolicy { SmallDirtyPages = 10 }, Ram);
        foreach (ulong dirty in new ulong[] { 20000, 10000, 5000, 2000, 500 })
            Assert.Equal(PrecopyStopReason.None, rounds.Decide(dirty, Ram, 1e6));
        Assert.Equal(5, rounds.Rounds);
        Assert.Equal(PrecopyStopReason.Converged, rounds.Decide(5, Ram, 1e6));
    }

    [Fact]
    public void ADirtySetThatStopsShrinkingEndsPrecopyAfterTheAllowedRounds()
    {
        var rounds = new PrecopyRounds(new MigrationPolicy { SmallDirtyPages = 0, MaxRoundsWithoutProgress = 3, ShrinkRatio = 0.9 }, Ram);
        Assert.Equal(PrecopyStopReason.None, rounds.Decide(10000, Ram, 1e6));
        Assert.Equal(PrecopyStopReason.None, rounds.Decide(9500, Ram, 1e6)); // not below 90 %: 1
        Assert.Equal(PrecopyStopReason.None, rounds.Decide(9800, Ram, 1e6)); // 2
        Assert.Equal(PrecopyStopReason.NotShrinking, rounds.Decide(9900, Ram, 1e6)); // 3
    }

    [Fact]
    public void ProgressResetsTheCountOfRoundsWithoutProgress()
    {
        var rounds = new PrecopyRounds(new MigrationPolicy { SmallDirtyPages = 0, MaxRoundsWithoutProgress = 2 }, Ram);
        Assert.Equal(PrecopyStopReason.None, rounds.Decide(10000, Ram, 1e6));
        Assert.Equal(PrecopyStopReason.None, rounds.Decide(10000, Ram, 1e6));
        Assert.Equal(PrecopyStopReason.None, rounds.Decide(5000, Ram, 1e6));
        Assert.Equal(PrecopyStopReason.None, rounds.Decide(5000, Ram, 1e6));
        Assert.Equal(PrecopyStopReason.NotShrinking, rounds.Decide(5000, Ram, 1e6));
    }

    [Fact]
    public void TheRoundLimitEndsPrecopy()
    {
        var rounds = new PrecopyRounds(new MigrationPolicy { SmallDirtyPages = 0, MaxRounds = 3, MaxRoundsWithoutProgress = 100 }, Ram);
        ulong dirty = 100000;
        for (int i = 0; i < 3; i++) Assert.Equal(PrecopyStopReason.None, rounds.Decide(dirty /= 2, Ram, 1e6));
        Assert.Equal(PrecopyStopReason.RoundLimit, rounds.Decide(dirty / 2, Ram, 1e6));
        Assert.Equal(3, rounds.Rounds);
    }

    [Fact]
    public void SendingSeveralTimesTheMemoryEndsPrecopy()
    {
        var rounds = new PrecopyRounds(new MigrationPolicy { SmallDirtyPages = 0, MaxSentFactor = 3 }, Ram);
        Assert.Equal(PrecopyStopReason.None, rounds.Decide(1000, 2 * Ram, 1e6));
        Assert.Equal(PrecopyStopReason.SentLimit, rounds.Decide(500, 3 * Ram, 1e6));
    }
}
