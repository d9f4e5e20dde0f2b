using Xenon.Kvm;
using Xenon.Machine.IoEvents;

namespace Xenon.Machine.Tests.IoEvents;

/// <summary>Readable-fd registrations and pausing, with an eventfd standing in for any pollable fd (a tap):
/// it is readable while its counter is non-zero, and reading it is how a callback consumes the readiness.</summary>
public sealed class IoEventLoopReadableTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private static void WaitFor(SemaphoreSlim signal, string what)
        => Assert.True(signal.Wait(Timeout, TestContext.Current.CancellationToken), $"timed out after {Timeout.TotalSeconds} s waiting for {what}");

    [Fact]
    public void TheCallbackRunsOnTheLoopThreadAndTheLoopDoesNotReadTheFd()
    {
        using var loop = new IoEventLoop("readable-io");
        using var fd = EventFd.Create();
        using var called = new SemaphoreSlim(0);
        bool onLoopThread = false;
        ulong seen = 0;
        using var registration = loop.RegisterReadable(fd.Handle, () =>
        {
            onLoopThread = loop.IsLoopThread;
            fd.TryRead(out seen); // the callback consumes; the loop only reports readiness
            called.Release();
        });

        fd.Signal(5);
        WaitFor(called, "the readable callback");

        Assert.True(onLoopThread);
        Assert.Equal(5ul, seen);
        Assert.Same(fd.Handle, registration.Handle);
        Assert.True(registration.IsWatching);
        Assert.Throws<InvalidOperationException>(() => registration.EventFd);
    }

    [Fact]
    public void ItIsLevelTriggeredTheCallbackRepeatsUntilTheFdIsConsumed()
    {
        using var loop = new IoEventLoop();
        using var fd = EventFd.Create();
        using var consumed = new SemaphoreSlim(0);
        int calls = 0;
        using var registration = loop.RegisterReadable(fd.Handle, () =>
        {
            if (Interlocked.Increment(ref calls) < 3) return; // leave it readable twice
            fd.TryRead(out _);
            consumed.Release();
        });

        fd.Signal();
        WaitFor(consumed, "the third call, which consumes");
        Thread.Sleep(50);

        Assert.Equal(3, Volatile.Read(ref calls));
    }

    [Fact]
    public void APausedRegistrationIsNotCalledUntilResumed()
    {
        using var loop = new IoEventLoop();
        using var fd = EventFd.Create();
        using var called = new SemaphoreSlim(0);
        int calls = 0;
        using var registration = loop.RegisterReadable(fd.Handle, () =>
        {
            Interlocked.Increment(ref calls);
            fd.TryRead(out _);
            called.Release();
        });

        registration.Pause();
        registration.Pause(); // twice is harmless
        Assert.False(registration.IsWatching);
        fd.Signal();
        Thread.Sleep(100);
        Assert.Equal(0, Volatile.Read(ref calls));

        registration.Resume();
        registration.Resume();
        Assert.True(registration.IsWatching);
        WaitFor(called, "the callback after Resume (the fd stayed readable)");
        Assert.Equal(1, Volatile.Read(ref calls));
    }

    [Fact]
    public void ACallbackMayPauseItselfInsteadOfConsumingAndDoesNotSpin()
    {
        using var loop = new IoEventLoop();
        using var fd = EventFd.Create();
        using var called = new SemaphoreSlim(0);
        int calls = 0;
        IoEventRegistration? registration = null;
        registration = loop.RegisterReadable(fd.Handle, () =>
        {
            Interlocked.Increment(ref calls);
            registration!.Pause(); // "nowhere to put it": stop listening, leave the data queued
            called.Release();
        });
        try
        {
            fd.Signal();
            WaitFor(called, "the first callback");
            Thread.Sleep(100);
            Assert.Equal(1, Volatile.Read(ref calls));

            registration.Resume();
            WaitFor(called, "the callback after Resume");
            Assert.Equal(2, Volatile.Read(ref calls));
            Assert.True(fd.TryRead(out ulong pending), "the data should still be queued: nobody consumed it");
            Assert.Equal(1ul, pending);
        }
        finally
        {
            registration.Dispose();
        }
    }

    [Fact]
    public void UnregisteringAPausedRegistrationAndPausingAnUnregisteredOneAreHarmless()
    {
        using var loop = new IoEventLoop();
        using var fd = EventFd.Create();
        int calls = 0;
        var registration = loop.RegisterReadable(fd.Handle, () => Interlocked.Increment(ref calls));
        registration.Pause();
        registration.Dispose();
        registration.Resume();
        registration.Pause();
        Assert.False(registration.IsWatching);

        fd.Signal();
        Thread.Sleep(50);
        Assert.Equal(0, Volatile.Read(ref calls));

        // The fd can be registered again (it left the epoll set cleanly).
        using var called = new SemaphoreSlim(0);
        using var again = loop.RegisterReadable(fd.Handle, () =>
        {
            fd.TryRead(out _);
            called.Release();
        });
        WaitFor(called, "the new registration's callback");
    }

    [Fact]
    public void EventFdRegistrationsCanBePausedToo()
    {
        using var loop = new IoEventLoop();
        using var fd = EventFd.Create();
        using var called = new SemaphoreSlim(0);
        ulong seen = 0;
        using var registration = loop.Register(fd, count =>
        {
            seen = count;
            called.Release();
        });
        Assert.Same(fd, registration.EventFd);

        registration.Pause();
        fd.Signal(2);
        Thread.Sleep(50);
        Assert.Equal(0ul, seen);
        registration.Resume();
        WaitFor(called, "the eventfd callback after Resume");
        Assert.Equal(2ul, seen);
    }

    [Fact]
    public void ARegistrationOfAnotherLoopIsRefused()
    {
        using var loop = new IoEventLoop();
        using var other = new IoEventLoop();
        using var fd = EventFd.Create();
        using var registration = other.RegisterReadable(fd.Handle, () => { });
        Assert.Throws<ArgumentException>(() => loop.Pause(registration));
        Assert.Throws<ArgumentException>(() => loop.Resume(registration));
        Assert.Throws<ArgumentNullException>(() => loop.RegisterReadable(null!, () => { }));
        Assert.Throws<ArgumentNullException>(() => loop.RegisterReadable(fd.Handle, null!));
    }

    [Fact]
    public void ReadableCallbacksAllocateNothingOnTheLoopThread()
    {
        using var loop = new IoEventLoop();
        using var fd = EventFd.Create();
        // Two measuring windows after a warm-up, as TenThousandEventsAllocateNothingOnTheLoopThread does: an allocation
        // per callback shows in both; the runtime's own one-off allocations on the thread (a method reaching tier 1, 32
        // bytes in one CI run under load) show in one at most.
        const int warmUp = 200, middle = 5_100, total = 10_000;
        int calls = 0;
        long atWarmUp = 0, atMiddle = 0, atEnd = 0;
        using var registration = loop.RegisterReadable(fd.Handle, () =>
        {
            fd.TryRead(out _);
            int n = calls + 1;
            if (n == warmUp) atWarmUp = GC.GetAllocatedBytesForCurrentThread();
            if (n == middle) atMiddle = GC.GetAllocatedBytesForCurrentThread();
            if (n == total) atEnd = GC.GetAllocatedBytesForCurrentThread();
            Volatile.Write(ref calls, n);
        });

        for (int i = 1; i <= total; i++)
        {
            fd.Signal();
            if (!SpinWait.SpinUntil(() => Volatile.Read(ref calls) >= i, Timeout))
                Assert.Fail($"event {i} of {total} was not served within {Timeout.TotalSeconds} s");
        }

        long first = atMiddle - atWarmUp, second = atEnd - atMiddle;
        const int perWindow = middle - warmUp;
        Assert.True(Math.Min(first, second) < perWindow,
            $"the loop thread allocated {first} bytes over readable callbacks {warmUp}-{middle} and {second} bytes over {middle}-{total}");
    }
}
