namespace Xenon.Machine.Soft.Platform;

/// <summary>
/// The PC's 8254 timer: counters 0–2 on ports 0x40–0x42, the control word (with counter latch and read-back) on 0x43,
/// and port 0x61's gate/OUT bits for counter 2 (what Linux's TSC calibration polls). Counter 0's OUT drives IRQ 0:
/// a timer thread sleeps until its next rising edge and pulses the line. Thread-safe.
/// </summary>
internal sealed class Pit8254 : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Action _irq0;
    private readonly Thread _thread;
    private readonly Clock.DeadlineWaiter _reprogrammed = new();
    private volatile bool _disposed;
    private bool _speakerData;
    private int _refresh;

    // Edges of counter 0 that came due while the previous one was still unacknowledged (or while the timer thread was
    // not scheduled): delivered one at a time as the guest takes them, so the guest's tick count keeps up with real
    // time (KVM's and QEMU's "delay" lost-tick policy). Bounded so that a long stall does not replay for ever.
    private const long MaxBacklog = 1000;
    private static readonly long OneMillisecond = System.Diagnostics.Stopwatch.Frequency / 1000;
    // Edges closer together than this are merged, as KVM's PIT clamps its period to 200 µs: the timer thread no longer
    // sleeps in whole milliseconds, so a count of 1 would otherwise pulse as fast as the thread can run.
    private static readonly long MinEdgeSpacing = System.Diagnostics.Stopwatch.Frequency / 5000;
    private readonly Func<bool>? _irq0Latched;
    private long _backlog;
    private bool _channel0Changed; // under _lock

    /// <param name="irq0">Pulses IRQ 0 (called on the PIT's timer thread).</param>
    /// <param name="irq0Latched">True while the interrupt controller holds an IRQ 0 request the CPU has not taken yet.
    /// With it, missed edges are re-injected one by one; without it, they are dropped.</param>
    public Pit8254(Action irq0, Func<bool>? irq0Latched = null)
    {
        _irq0 = irq0;
        _irq0Latched = irq0Latched;
        _thread = new Thread(TimerLoop) { Name = "soft-pit", IsBackground = true };
        _thread.Start();
    }

    public PitChannel[] Channels { get; } = [new(), new(), new()];

    /// <summary>Counter 0 fired this many times (tests, diagnostics).</summary>
    public long Irq0Count;

    public static bool IsPitPort(ushort port) => port is >= 0x40 and <= 0x43 or 0x61;

    public uint Read(ushort port)
    {
        lock (_lock)
        {
            long now = PitChannel.Now();
            if (port == 0x61)
            {
                var c2 = Channels[2];
                // bit 4 toggles like the DRAM refresh request; some delay loops watch it
                _refresh ^= 1;
                return (uint)((c2.Gate ? 1 : 0) | (_speakerData ? 2 : 0) | (_refresh << 4) | (c2.Output(now) ? 0x20 : 0));
            }
            if (port == 0x43) return 0xff;
            return ReadCounter(Channels[port - 0x40], now);
        }
    }

    public void Write(ushort port, byte value)
    {
        lock (_lock)
        {
            long now = PitChannel.Now();
            switch (port)
            {
                case 0x61:
                    Channels[2].SetGate((value & 1) != 0, now);
                    _speakerData = (value & 2) != 0;
                    return;
                case 0x43:
                    WriteControl(value, now);
                    break;
                default:
                    WriteCounter(Channels[port - 0x40], value, now);
                    break;
            }
            if (port == 0x40 || (port == 0x43 && value >> 6 == 0)) _channel0Changed = true;
        }
        _reprogrammed.Wake();
    }

    private void WriteControl(byte value, long now)
    {
        int channel = value >> 6;
        if (channel == 3)
        {
            // read-back: bit 5 clear = latch counts, bit 4 clear = latch statuses, bits 1–3 select counters
            for (int i = 0; i < 3; i++)
            {
                if ((value & (2 << i)) == 0) continue;
                var c = Channels[i];
                if ((value & 0x20) == 0) Latch(c, now);
                if ((value & 0x10) == 0 && c.LatchedStatus < 0) c.LatchedStatus = c.Status(now);
            }
            return;
        }
        var ch = Channels[channel];
        int rw = (value >> 4) & 3;
        if (rw == 0) Latch(ch, now);
        else ch.Program((value >> 1) & 7, rw, value & 1);
    }

    private static void Latch(PitChannel c, long now)
    {
        if (c.LatchedCount >= 0) return; // a second latch before the first is read is ignored
        c.LatchedCount = c.Value(now);
        c.LatchedCountHigh = false;
    }

    private static byte ReadCounter(PitChannel c, long now)
    {
        if (c.LatchedStatus >= 0)
        {
            byte status = (byte)c.LatchedStatus;
            c.LatchedStatus = -1;
            return status;
        }
        if (c.LatchedCount >= 0)
        {
            int v = c.LatchedCount;
            switch (c.RwMode)
            {
                case 1: c.LatchedCount = -1; return (byte)v;
                case 2: c.LatchedCount = -1; return (byte)(v >> 8);
                default:
                    if (!c.LatchedCountHigh) { c.LatchedCountHigh = true; return (byte)v; }
                    c.LatchedCount = -1;
                    return (byte)(v >> 8);
            }
        }
        int value = c.Value(now);
        switch (c.RwMode)
        {
            case 1: return (byte)value;
            case 2: return (byte)(value >> 8);
            default:
                c.ReadHigh = !c.ReadHigh;
                return c.ReadHigh ? (byte)value : (byte)(value >> 8);
        }
    }

    private static void WriteCounter(PitChannel c, byte value, long now)
    {
        switch (c.RwMode)
        {
            case 1: c.Load(value, now); break;
            case 2: c.Load(value << 8, now); break;
            default:
                if (!c.WriteHigh) { c.WriteLatch = value; c.WriteHigh = true; }
                else { c.WriteHigh = false; c.Load(c.WriteLatch | (value << 8), now); }
                break;
        }
    }

    /// <summary>Applies a new channel configuration from outside (state restore); wakes the timer thread.</summary>
    public void Reconfigure(Action<PitChannel[]> change)
    {
        lock (_lock)
        {
            change(Channels);
            _channel0Changed = true;
        }
        _reprogrammed.Wake();
    }

    public T Inspect<T>(Func<PitChannel[], long, T> read)
    {
        lock (_lock) return read(Channels, PitChannel.Now());
    }

    // Sleeps until counter 0's next rising edge and pulses IRQ 0. An edge that finds the previous request still pending
    // (or that the thread woke too late for) goes into the backlog, which is paid out one edge per acknowledged request.
    // The edge being waited for is kept across wake-ups: a signal (an acknowledge, a counter-2 write) that arrives after
    // it came due must not skip it, or a one-shot (mode 4, Linux's NO_HZ clockevent) would never fire.
    private void TimerLoop()
    {
        long? pending = null;
        // Edges up to here are handled. The next edge is looked for after it, not after "now": a one-shot that was
        // loaded and expired while this thread was not scheduled still fires (late, rather than never).
        long handled = PitChannel.Now();
        while (!_disposed)
        {
            long? next;
            long now, period;
            bool changed;
            lock (_lock)
            {
                // read with the counter itself, so a reprogramming is never half seen (new flag, old count)
                now = PitChannel.Now();
                next = Channels[0].NextRisingEdge(handled);
                period = Channels[0].Mode is 2 or 3 ? Channels[0].Count : 0;
                changed = _channel0Changed;
                _channel0Changed = false;
            }
            if (changed)
            {
                Volatile.Write(ref _backlog, 0);
                if (pending > now) pending = null; // superseded; one already due still fires (it expired first)
            }
            pending ??= next;
            if (_backlog > 0 && !Irq0Latched())
            {
                Volatile.Write(ref _backlog, _backlog - 1);
                Pulse();
                continue;
            }
            if (pending is not { } due)
            {
                _reprogrammed.Wait(_backlog > 0 ? now + OneMillisecond : long.MaxValue);
                continue;
            }
            long waitTicks = due - now;
            if (waitTicks > 0)
            {
                // with a backlog, Irq0Taken wakes the thread; the millisecond bound covers a request the guest cleared otherwise
                if (_reprogrammed.Wait(_backlog > 0 ? Math.Min(due, now + OneMillisecond) : due)) continue;
                if (PitChannel.Now() < due) continue;
            }
            if (_disposed) break;
            long late = period > 0 ? PitChannel.TicksBetween(due, PitChannel.Now()) / period : 0;
            long owed = _irq0Latched is null ? 1 : 1 + late; // nobody to ask: drop what was missed
            if (!Irq0Latched())
            {
                Pulse();
                owed--;
            }
            Volatile.Write(ref _backlog, Math.Min(MaxBacklog, _backlog + owed));
            pending = null;
            // past this edge and the ones just counted as owed; one PIT tick more absorbs the rounding between host and PIT time
            handled = Math.Max(handled, Math.Max(PitChannel.TimeAfter(due, late * period + 1), due + MinEdgeSpacing));
        }
    }

    private bool Irq0Latched() => _irq0Latched?.Invoke() ?? false;

    /// <summary>Counter-0 edges owed to the guest (tests, diagnostics).</summary>
    internal long Backlog => Volatile.Read(ref _backlog);

    /// <summary>The CPU took IRQ 0 (INTA): the next owed edge may go now. Any thread.</summary>
    public void Irq0Taken()
    {
        if (Volatile.Read(ref _backlog) > 0 && !_disposed) _reprogrammed.Wake();
    }

    private void Pulse()
    {
        Interlocked.Increment(ref Irq0Count);
        _irq0();
    }

    public void Dispose()
    {
        _disposed = true;
        _reprogrammed.Shutdown();
        // only once the thread is gone: it may still be waiting on the event
        if (_thread.Join(TimeSpan.FromSeconds(2))) _reprogrammed.Dispose();
    }
}
