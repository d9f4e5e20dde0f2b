using Xenon.Machine.Soft.Clock;

namespace Xenon.Machine.Soft.Apic;

/// <summary>
/// One thread for every local APIC timer of a machine: sleeps until the earliest deadline and expires the timers that
/// are due. An expiry sets the IRR and wakes the vCPU; a running vCPU takes the interrupt at its next block boundary,
/// so nothing has to stop it. The thread sleeps on a timerfd armed to the deadline (<see cref="DeadlineWaiter"/>), so an
/// expiry is late only by the host's timer slack and scheduling, not by a millisecond rounding.
/// </summary>
internal sealed class ApicTimerService : IDisposable
{
    private readonly ApicBus _bus;
    private readonly DeadlineWaiter _changed = new();
    private readonly Thread _thread;
    private volatile bool _disposed;

    public ApicTimerService(ApicBus bus)
    {
        _bus = bus;
        _thread = new Thread(Loop) { Name = "soft-apic-timer", IsBackground = true };
        _thread.Start();
    }

    /// <summary>A deadline moved (any thread).</summary>
    public void Reschedule()
    {
        if (!_disposed) _changed.Wake();
    }

    private void Loop()
    {
        while (!_disposed)
        {
            long now = ApicClock.Now();
            long earliest = long.MaxValue;
            foreach (var apic in _bus.Apics)
            {
                if (apic.TimerDeadline <= now) apic.TimerExpired(now);
                earliest = Math.Min(earliest, apic.TimerDeadline);
            }
            _changed.Wait(earliest); // long.MaxValue: no timer armed, wait for a reschedule
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _changed.Shutdown();
        if (_thread.Join(TimeSpan.FromSeconds(2))) _changed.Dispose();
    }
}
