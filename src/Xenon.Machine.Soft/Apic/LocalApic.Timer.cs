using System.Diagnostics;
using static Xenon.Machine.Soft.Apic.ApicRegisters;

namespace Xenon.Machine.Soft.Apic;

/// <summary>The host clock as the APIC timer counts it: a 1 GHz bus (one cycle a nanosecond, KVM's choice), so
/// the guest's calibration against the PIT finds 1000 MHz before the divider.</summary>
internal static class ApicClock
{
    public static long Now() => Stopwatch.GetTimestamp();

    private const long CyclesPerSecond = 1_000_000_000;

    // MulDiv below is exact while (divisor - 1) x multiplier fits in a long: true for any clock up to 9.2 GHz (Linux's
    // Stopwatch counts nanoseconds). Int128 would be simpler, but a method using it gets no ReadyToRun code and was
    // compiled inside a restore's window when the restored LAPIC timer was armed.
    private static readonly bool Exact64 = Stopwatch.Frequency <= long.MaxValue / CyclesPerSecond;

    public static long CyclesToTicks(long cycles) =>
        Exact64 ? MulDiv(cycles, Stopwatch.Frequency, CyclesPerSecond) : Wide(cycles, Stopwatch.Frequency, CyclesPerSecond);

    public static long TicksToCycles(long ticks) =>
        Exact64 ? MulDiv(ticks, CyclesPerSecond, Stopwatch.Frequency) : Wide(ticks, CyclesPerSecond, Stopwatch.Frequency);

    /// <summary>value x multiplier / divisor truncated toward zero, bit for bit what the Int128 form gives (also where
    /// that result wraps in a long), given (divisor - 1) x multiplier fits in a long; both positive.</summary>
    internal static long MulDiv(long value, long multiplier, long divisor)
    {
        // value = q x divisor + r, r with value's sign: the product's quotient is q x multiplier plus r x multiplier's,
        // both parts of one sign, so truncating the sum truncates only the second.
        long q = Math.DivRem(value, divisor, out long r);
        return unchecked(q * multiplier + r * multiplier / divisor);
    }

    internal static long Wide(long value, long multiplier, long divisor) => (long)((Int128)value * multiplier / divisor);
}

/// <summary>The LVT timer: one-shot and periodic, the divide configuration, the current count computed from the
/// host clock. Expiry is found by <see cref="ApicTimerService"/>, which calls <see cref="TimerExpired"/>.</summary>
internal sealed partial class LocalApic
{
    // A periodic timer faster than this would keep the timer thread busy for nothing (KVM's floor is 200 µs too).
    private static readonly long MinPeriodTicks = ApicClock.CyclesToTicks(200_000);

    private long _timerStart;
    private long _timerPeriod; // host ticks of one full count; 0 while stopped
    private long _timerDeadline = long.MaxValue; // next expiry in host ticks; read lock-free by the timer thread
    private bool _timerPeriodic;

    /// <summary>Host time of the next expiry, long.MaxValue if the timer is not running. Any thread.</summary>
    public long TimerDeadline => Volatile.Read(ref _timerDeadline);

    /// <summary>Set by the machine: told whenever a deadline moves, so the timer thread re-evaluates its wait.</summary>
    public ApicTimerService? Timers { get; set; }

    private int Divisor()
    {
        uint d = Reg(TimerDivide);
        int code = (int)((d & 3) | ((d & 8) >> 1));
        return code == 7 ? 1 : 2 << code;
    }

    private void WriteDivide(uint v)
    {
        Reg(TimerDivide) = v;
    }

    private void WriteLvtTimer(uint v)
    {
        uint old = Reg(LvtTimer);
        if (!SoftwareEnabled) v |= LvtMasked;
        Reg(LvtTimer) = v & LvtTimerMask;
        // a mode change stops the count (as KVM does): the guest reloads the initial count for the new mode
        if (((old ^ v) & TimerPeriodic) != 0)
        {
            Reg(TimerInitial) = 0;
            StopTimer();
        }
    }

    /// <summary>(Re)starts the count from the initial count register; 0 stops it. Under the lock.</summary>
    private void StartTimer(long now, uint? remaining = null)
    {
        uint initial = Reg(TimerInitial);
        if (initial == 0)
        {
            StopTimer();
            return;
        }
        _timerPeriodic = (Reg(LvtTimer) & TimerPeriodic) != 0;
        long period = ApicClock.CyclesToTicks((long)initial * Divisor());
        if (_timerPeriodic) period = Math.Max(period, MinPeriodTicks);
        long first = remaining is { } r ? Math.Min(period, ApicClock.CyclesToTicks((long)r * Divisor())) : period;
        _timerPeriod = Math.Max(period, 1);
        // the grid the current count is read against: first expiry at start + period
        _timerStart = now + first - _timerPeriod;
        Volatile.Write(ref _timerDeadline, now + Math.Max(first, 1));
        Timers?.Reschedule();
    }

    private void StopTimer()
    {
        _timerPeriod = 0;
        Volatile.Write(ref _timerDeadline, long.MaxValue);
    }

    private uint CurrentCount(long now)
    {
        uint initial = Reg(TimerInitial);
        if (_timerPeriod == 0 || initial == 0) return 0;
        long remaining;
        if (_timerPeriodic)
        {
            long elapsed = now - _timerStart;
            remaining = elapsed < 0 ? -elapsed : _timerPeriod - elapsed % _timerPeriod;
        }
        else remaining = _timerDeadline - now;
        if (remaining <= 0) return 0;
        long count = ApicClock.TicksToCycles(remaining) / Divisor();
        return (uint)Math.Min(count, initial);
    }

    /// <summary>The timer thread found the deadline passed: the LVT timer interrupt (unless masked), then the next
    /// period or a stop. Expiries missed while the thread was not scheduled collapse into one, as an IRR bit would.</summary>
    public void TimerExpired(long now)
    {
        bool wake;
        lock (_lock)
        {
            if (_timerDeadline > now) return;
            if (_timerPeriodic && _timerPeriod > 0)
            {
                long behind = (now - _timerDeadline) / _timerPeriod + 1;
                Volatile.Write(ref _timerDeadline, _timerDeadline + behind * _timerPeriod);
            }
            else StopTimer();
            wake = LocalInterrupt(LvtTimer);
        }
        if (wake) Host.InterruptPending();
    }
}
