using System.Diagnostics;
using Xenon.Machine.Soft.Clock;

namespace Xenon.Machine.Tests.Soft;

/// <summary>The timer threads' sleep: sub-millisecond deadlines, wakes from other threads, AutoResetEvent semantics.</summary>
public sealed class DeadlineWaiterTests
{
    [Fact]
    public void AShortDeadlineIsNotRoundedUpToAMillisecond()
    {
        using var waiter = new DeadlineWaiter();
        long best = long.MaxValue;
        long step = Stopwatch.Frequency / 5000; // 200 µs
        for (int i = 0; i < 30; i++)
        {
            long deadline = Stopwatch.GetTimestamp() + step;
            Assert.False(waiter.Wait(deadline));
            long now = Stopwatch.GetTimestamp();
            Assert.True(now >= deadline, "returned before the deadline");
            best = Math.Min(best, now - deadline);
        }
        // the best of 30 tolerates a loaded host; a millisecond-granular wait would be ≥ 800 µs late every time
        Assert.True(best < Stopwatch.Frequency / 2000, $"best lateness {best * 1e6 / Stopwatch.Frequency:F0} µs");
    }

    [Fact]
    public void AWakeBeforeTheWaitIsKeptAndConsumedOnce()
    {
        using var waiter = new DeadlineWaiter();
        waiter.Wake();
        waiter.Wake();
        Assert.True(waiter.Wait(long.MaxValue));
        Assert.False(waiter.Wait(Stopwatch.GetTimestamp() + Stopwatch.Frequency / 1000)); // both wakes were one
        Assert.False(waiter.Wait(Stopwatch.GetTimestamp() - 1)); // a deadline already past returns at once
    }

    [Fact]
    public void AnotherThreadWakesAWaitWithNoDeadline()
    {
        using var waiter = new DeadlineWaiter();
        var sw = Stopwatch.StartNew();
        var t = new Thread(() =>
        {
            Thread.Sleep(20);
            waiter.Wake();
        });
        t.Start();
        Assert.True(waiter.Wait(long.MaxValue));
        Assert.InRange(sw.ElapsedMilliseconds, 20, 10_000);
        t.Join();
    }

    [Fact]
    public void WakingAfterShutdownAndDisposeIsHarmless()
    {
        var waiter = new DeadlineWaiter();
        waiter.Shutdown();
        Assert.False(waiter.Wait(long.MaxValue)); // shut down: returns instead of sleeping for ever
        waiter.Dispose();
        waiter.Wake();
    }
}
