using System.Globalization;
using System.Runtime;

namespace Xenon.Domain.Migration;

/// <summary>
/// The process's JIT counters (every thread: the sender's capture runs on the vCPU threads) at one instant, or, after
/// <see cref="Since"/>, what was compiled between two instants. The sender's phase line prints it so that code run for
/// the first time inside the downtime shows as such rather than as a slow step.
/// </summary>
internal readonly record struct JitSnapshot(long Methods, TimeSpan Time)
{
    public static JitSnapshot Take() =>
        new(JitInfo.GetCompiledMethodCount(currentThread: false), JitInfo.GetCompilationTime(currentThread: false));

    /// <summary>What was compiled from this snapshot to now.</summary>
    public JitSnapshot Since()
    {
        var now = Take();
        return new(now.Methods - Methods, now.Time - Time);
    }

    /// <summary>Formatted by hand: an interpolated string's generic paths have no ReadyToRun code and would compile
    /// inside the window being measured.</summary>
    public override string ToString() =>
        "JIT (all threads) " + Methods.ToString(CultureInfo.InvariantCulture) + " methods, " +
        Time.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture) + " ms";
}
