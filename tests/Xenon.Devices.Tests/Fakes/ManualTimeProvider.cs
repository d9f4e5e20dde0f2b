namespace Xenon.Devices.Tests.Fakes;

/// <summary>A clock that moves only when a test says so; timers fire when the test advances past their due time.</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private readonly object _lock = new();
    private readonly List<ManualTimer> _timers = [];
    private DateTimeOffset _utcNow;
    private long _timestamp;

    public ManualTimeProvider(DateTimeOffset start) => _utcNow = start;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp()
    {
        lock (_lock) return _timestamp;
    }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock) return _utcNow;
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        lock (_lock) _timers.Add(timer);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Moves both clocks forward and fires every timer that became due.</summary>
    public void Advance(TimeSpan by)
    {
        List<ManualTimer> due = [];
        lock (_lock)
        {
            _utcNow += by;
            _timestamp += by.Ticks;
            foreach (var t in _timers)
                if (t.DueAt is long at && at <= _timestamp) { t.DueAt = null; due.Add(t); }
        }
        foreach (var t in due) t.Fire();
    }

    /// <summary>Sets the wall clock only (as if the host's time were stepped); the monotonic clock is untouched.</summary>
    public void SetUtcNow(DateTimeOffset now)
    {
        lock (_lock) _utcNow = now;
    }

    /// <summary>Ticks until the earliest armed timer fires, or null when none is armed.</summary>
    public long? NextTimerDueIn
    {
        get
        {
            lock (_lock)
            {
                long? min = null;
                foreach (var t in _timers)
                    if (t.DueAt is long at && (min is null || at < min)) min = at;
                return min - _timestamp;
            }
        }
    }

    internal sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public long? DueAt { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner._lock)
                DueAt = dueTime == Timeout.InfiniteTimeSpan ? null : owner._timestamp + Math.Max(0, dueTime.Ticks);
            return true;
        }

        public void Fire() => callback(state);

        public void Dispose()
        {
            lock (owner._lock)
            {
                DueAt = null;
                owner._timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
