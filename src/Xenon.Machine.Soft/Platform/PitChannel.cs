using System.Diagnostics;

namespace Xenon.Machine.Soft.Platform;

/// <summary>
/// One 8254 counter, computed from the host clock rather than ticked: the count and the output at any instant follow
/// from when the count was loaded. Modes 0–5 (6 and 7 alias 2 and 3); BCD counting is accepted but counts in binary.
/// Not thread-safe: <see cref="Pit8254"/> serialises every call.
/// </summary>
internal sealed class PitChannel
{
    public const long Frequency = 1_193_182;

    public int Mode, RwMode = 3, Bcd;
    /// <summary>The loaded count (1–65536); 0 until the guest loads one after programming the mode.</summary>
    public int Count;
    public bool Gate = true;
    public bool NullCount = true;
    // lo/hi flip-flops and latches
    public bool ReadHigh, WriteHigh;
    public byte WriteLatch;
    public int LatchedCount = -1;
    public bool LatchedCountHigh;
    public int LatchedStatus = -1;

    // Counting: elapsed ticks = _base + ticks since _loadTime while the gate is high.
    private long _loadTime, _base;

    public static long Now() => Stopwatch.GetTimestamp();

    public static long TicksBetween(long from, long to) => (long)((Int128)(to - from) * Frequency / Stopwatch.Frequency);

    public static long TimeAfter(long from, long ticks) => from + (long)((Int128)ticks * Stopwatch.Frequency / Frequency);

    public long Elapsed(long now) => Gate || Mode is 1 or 5 ? _base + TicksBetween(_loadTime, now) : _base;

    public void Load(int count, long now)
    {
        Count = count == 0 ? 0x10000 : count;
        NullCount = false;
        _base = 0;
        _loadTime = now;
    }

    public void Program(int mode, int rw, int bcd)
    {
        Mode = mode > 5 ? mode - 4 : mode;
        RwMode = rw;
        Bcd = bcd;
        Count = 0;
        NullCount = true;
        ReadHigh = WriteHigh = false;
    }

    public void SetGate(bool gate, long now)
    {
        if (gate == Gate) return;
        if (!gate) _base = Elapsed(now);
        else if (Mode is 1 or 2 or 3 or 5)
        {
            _base = 0; // a rising gate restarts these modes from the loaded count
        }
        _loadTime = now;
        Gate = gate;
    }

    /// <summary>The counter's current value (what a latch or a direct read sees).</summary>
    public int Value(long now)
    {
        if (Count == 0) return 0;
        long d = Elapsed(now);
        return Mode switch
        {
            2 => (int)(Count - d % Count) & 0xffff,
            3 => (int)(Count - (2 * d) % Count) & 0xfffe,
            _ => (int)((Count - d) & 0xffff),
        };
    }

    /// <summary>The OUT pin.</summary>
    public bool Output(long now)
    {
        if (Count == 0) return Mode != 0; // mode 0 drives OUT low from the control word until the count expires
        long d = Elapsed(now);
        return Mode switch
        {
            0 or 1 => d >= Count,
            2 => d % Count != Count - 1,
            3 => d % Count < (Count + 1) / 2,
            _ => d != Count,
        };
    }

    /// <summary>The host time of the first low→high transition of OUT after <paramref name="after"/> (which may lie before
    /// the count was loaded, or in the past), or null if none will come.</summary>
    public long? NextRisingEdge(long after)
    {
        if (Count == 0 || !Gate) return null;
        long d = Math.Max(Elapsed(after), -1); // before the load: the first edge of this count
        long at;
        switch (Mode)
        {
            case 0:
            case 1:
                if (d >= Count) return null;
                at = Count;
                break;
            case 2:
            case 3:
                at = (d / Count + 1) * Count;
                break;
            default:
                if (d >= Count + 1) return null;
                at = Count + 1;
                break;
        }
        return TimeAfter(_loadTime, at - _base);
    }

    public byte Status(long now) =>
        (byte)((Output(now) ? 0x80 : 0) | (NullCount ? 0x40 : 0) | (RwMode << 4) | (Mode << 1) | Bcd);
}
