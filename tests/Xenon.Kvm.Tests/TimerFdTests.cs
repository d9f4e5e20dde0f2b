using Xenon.Kvm;

namespace Xenon.Kvm.Tests;

public sealed class TimerFdTests
{
    [Fact]
    public void AnArmedTimerExpiresOnceAndIsReadOnce()
    {
        using var timer = TimerFd.Create();
        Assert.False(timer.TryRead(out _)); // never armed
        timer.Arm(1_000_000);
        Assert.True(SpinWait.SpinUntil(() => timer.TryRead(out ulong n) && n == 1, 5000), "a 1 ms timer did not expire within 5 s");
        Assert.False(timer.TryRead(out _)); // one-shot: consumed
    }

    [Fact]
    public void DisarmCancelsAPendingExpiry()
    {
        using var timer = TimerFd.Create();
        timer.Arm(50_000_000);
        timer.Disarm();
        Thread.Sleep(120);
        Assert.False(timer.TryRead(out _));
    }

    [Fact]
    public void ReArmingReplacesTheEarlierExpiry()
    {
        using var timer = TimerFd.Create();
        timer.Arm(10_000_000_000); // 10 s
        timer.Arm(1_000_000);
        Assert.True(SpinWait.SpinUntil(() => timer.TryRead(out _), 5000), "the re-armed 1 ms expiry did not replace the 10 s one");
    }
}
