namespace Xenon.Devices.Virtio.Rng;

/// <summary>
/// A byte quota per fixed time window (QEMU's max-bytes/period): the window opens at the first request after
/// the previous one closed, and the quota refills whole when it closes. Timestamps are <see cref="TimeProvider"/> ticks.
/// </summary>
internal sealed class RateWindow
{
    private readonly ulong _maxBytes;
    private readonly long _periodTicks;
    private long _windowStart;
    private bool _open;
    private ulong _used;

    public RateWindow(ulong maxBytes, TimeSpan period, long timestampFrequency)
    {
        _maxBytes = maxBytes;
        // Period in the provider's tick units, at least one tick.
        _periodTicks = Math.Max(1, (long)(period.TotalSeconds * timestampFrequency));
    }

    /// <summary>Bytes still allowed now (opens a new window if the last one has closed).</summary>
    public ulong Available(long now)
    {
        if (!_open || now - _windowStart >= _periodTicks)
        {
            _open = true;
            _windowStart = now;
            _used = 0;
        }
        return _maxBytes - _used;
    }

    public void Consume(ulong bytes) => _used = Math.Min(_maxBytes, _used + bytes);

    /// <summary>The window as a save sees it at <paramref name="now"/>: open (and not yet closed), bytes used, ticks since it opened.</summary>
    public (bool Open, ulong Used, long ElapsedTicks) GetState(long now)
    {
        bool open = _open && now - _windowStart < _periodTicks;
        return open ? (true, _used, now - _windowStart) : (false, 0, 0);
    }

    /// <summary>Continues a saved window: it opened <paramref name="elapsedTicks"/> before <paramref name="now"/>. Bytes
    /// used beyond this window's quota (a smaller limit than the saving device's) count as the whole quota.</summary>
    public void SetState(bool open, ulong used, long elapsedTicks, long now)
    {
        _open = open;
        _used = open ? Math.Min(used, _maxBytes) : 0;
        _windowStart = open ? now - elapsedTicks : 0;
    }

    /// <summary>Ticks until the current window closes.</summary>
    public long TicksUntilRefill(long now) => Math.Max(1, _windowStart + _periodTicks - now);
}
