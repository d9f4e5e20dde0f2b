using System.Globalization;

namespace Xenon.Domain.Migration;

/// <summary>
/// The Running frame's payload: <c>running</c> or <c>paused</c>, then, since this build, <c> resumed-at-ns=N</c>: the
/// receiver's CLOCK_MONOTONIC (<see cref="System.Diagnostics.Stopwatch"/>) in nanoseconds when it let its vCPUs go.
/// A sender on the same host (benchmarks, tests) subtracts its own pause time from it: the time the guest did not run,
/// without the Running frame's trip and the sender's wake-up. A sender elsewhere has another clock and cannot use it.
/// </summary>
/// <remarks>The guest already runs at the destination when this arrives, so nothing in it can fail the migration: a
/// missing or malformed stamp is only absent.</remarks>
public readonly record struct RunningReport(string State, long? ResumedAtNs)
{
    private const string StampKey = " resumed-at-ns=";

    /// <summary>The payload's text for <paramref name="paused"/> and a resume stamp (null: none).</summary>
    public static string Format(bool paused, long? resumedAtNs) =>
        (paused ? "paused" : "running") + (resumedAtNs is long ns ? StampKey + ns.ToString(CultureInfo.InvariantCulture) : "");

    /// <summary>Splits a Running payload's text; the state is everything before the stamp, as the receiver sent it.</summary>
    public static RunningReport Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int at = text.IndexOf(StampKey, StringComparison.Ordinal);
        if (at < 0) return new RunningReport(text, null);
        var digits = text.AsSpan(at + StampKey.Length);
        bool ok = long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long ns);
        return new RunningReport(text[..at], ok ? ns : null);
    }

    /// <summary>Now on CLOCK_MONOTONIC, in nanoseconds (Stopwatch's clock on Linux).</summary>
    public static long NowNs() => TicksToNs(System.Diagnostics.Stopwatch.GetTimestamp());

    public static long TicksToNs(long stopwatchTicks) =>
        System.Diagnostics.Stopwatch.Frequency == 1_000_000_000 ? stopwatchTicks
            : (long)((double)stopwatchTicks * 1e9 / System.Diagnostics.Stopwatch.Frequency);

    /// <summary>The time from <paramref name="pausedAtNs"/> to the receiver's resume, if that can be on the same clock:
    /// it must lie inside the window the sender saw (0 … <paramref name="observed"/>), since the receiver resumed after
    /// the pause and before it sent Running. Outside it the two clocks are not one (another host): null.</summary>
    public TimeSpan? ResumedAfter(long pausedAtNs, TimeSpan observed)
    {
        if (ResumedAtNs is not long resumed) return null;
        long ns = resumed - pausedAtNs;
        if (ns < 0 || ns > observed.Ticks * 100) return null;
        return TimeSpan.FromTicks(ns / 100);
    }
}
