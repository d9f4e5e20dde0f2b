using Xenon.Machine.IoEvents;

namespace Xenon.Machine.Tests.IoEvents;

public sealed class IoTimerTests
{
    [Fact]
    public void TheCallbackRunsOnTheLoopThreadOncePerArm()
    {
        using var loop = new IoEventLoop("timer-test");
        int calls = 0;
        bool onLoop = false;
        using var timer = new IoTimer(loop, () =>
        {
            onLoop = loop.IsLoopThread;
            Interlocked.Increment(ref calls);
        });
        timer.Arm(1_000_000);
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref calls) == 1, 5000), "the timer callback did not run within 5 s");
        Thread.Sleep(50);
        Assert.Equal(1, Volatile.Read(ref calls));
        Assert.True(onLoop);
        timer.Arm(1_000_000);
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref calls) == 2, 5000), "re-arming did not run the callback again");
    }

    [Fact]
    public void CancelledOrDisposedTimersDoNotCallBack()
    {
        using var loop = new IoEventLoop("timer-test");
        int calls = 0;
        var timer = new IoTimer(loop, () => Interlocked.Increment(ref calls));
        timer.Arm(30_000_000);
        timer.Cancel();
        var other = new IoTimer(loop, () => Interlocked.Increment(ref calls));
        other.Arm(30_000_000);
        other.Dispose();
        Thread.Sleep(150);
        Assert.Equal(0, Volatile.Read(ref calls));
        timer.Dispose();
    }
}
