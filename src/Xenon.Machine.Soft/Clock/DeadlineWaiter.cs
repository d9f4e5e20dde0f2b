using System.Diagnostics;
using Xenon.Kvm;
using Xenon.Kvm.Abi;

namespace Xenon.Machine.Soft.Clock;

/// <summary>
/// A timer thread's sleep: until a host deadline (Stopwatch ticks, CLOCK_MONOTONIC on Linux) or until another thread calls
/// <see cref="Wake"/>, like an AutoResetEvent. .NET's timed waits round to whole milliseconds, which made APIC and PIT
/// expiries up to ~1 ms late; a timerfd armed to the nanosecond fires within the kernel's timer slack (~50 µs), and the
/// thread sleeps in epoll_wait meanwhile, so nothing spins. One thread waits; any thread wakes.
/// </summary>
internal sealed class DeadlineWaiter : IDisposable
{
    private const ulong TimerToken = 1, WakeToken = 2;

    private readonly Epoll _epoll;
    private readonly TimerFd _timer;
    private readonly EventFd _wake;
    private volatile bool _disposed;

    public DeadlineWaiter()
    {
        _epoll = Epoll.Create();
        _timer = TimerFd.Create();
        _wake = EventFd.Create();
        _epoll.Add(_timer.Handle, EpollEvents.In, TimerToken);
        _epoll.Add(_wake.Handle, EpollEvents.In, WakeToken);
    }

    /// <summary>Makes the current <see cref="Wait"/> return true, or the next one if none is in progress (any thread).</summary>
    public void Wake()
    {
        if (_disposed) return;
        try
        {
            _wake.Signal();
        }
        catch (ObjectDisposedException)
        {
            // the owner shut down between the check and the signal: nobody is left to wake
        }
    }

    /// <summary>Sleeps until Stopwatch time <paramref name="deadline"/> (false) or a <see cref="Wake"/> (true).
    /// <see cref="long.MaxValue"/> waits for a wake only.</summary>
    public bool Wait(long deadline)
    {
        Span<EpollEvent> events = stackalloc EpollEvent[2];
        while (true)
        {
            if (deadline == long.MaxValue) _timer.Disarm();
            else
            {
                long remaining = deadline - Stopwatch.GetTimestamp();
                if (remaining <= 0) return _wake.TryRead(out _);
                _timer.Arm((long)((Int128)remaining * 1_000_000_000 / Stopwatch.Frequency));
            }
            int n = _epoll.Wait(events, -1);
            bool woken = false, expired = false;
            for (int i = 0; i < n; i++)
            {
                if (events[i].Data == WakeToken) woken |= _wake.TryRead(out _);
                else expired |= _timer.TryRead(out _);
            }
            if (_disposed) return false;
            if (woken) return true;
            if (expired) return false;
            // a signal interrupted the wait: sleep again for what is left
        }
    }

    /// <summary>Wakes the waiter for good. Call <see cref="Dispose"/> only once the waiting thread is gone.</summary>
    public void Shutdown()
    {
        _disposed = true;
        try
        {
            _wake.Signal();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _epoll.Dispose();
        _timer.Dispose();
        _wake.Dispose();
    }
}
