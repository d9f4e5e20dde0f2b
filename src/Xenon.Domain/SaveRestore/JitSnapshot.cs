using System.Globalization;
using System.Runtime;
using System.Text;
using Xenon.Machine.State;

namespace Xenon.Domain.SaveRestore;

/// <summary>
/// The process's JIT counters (every thread: a restore's or a migration's steps run on vCPU and device threads too) at
/// one instant. Two of them say what was compiled in between, as the restore, the migration receiver and the sender
/// print it, so that code run for the first time inside a window shows as such rather than as a slow step. The numbers
/// are the process's JIT count before and after: the methods' names are those lines of a DOTNET_JitStdOutFile list
/// (DOTNET_JitDisasmSummary=1) of this process.
/// </summary>
internal readonly record struct JitSnapshot(long Methods, TimeSpan Time)
{
    public static JitSnapshot Take() => new(JitInfo.GetCompiledMethodCount(), JitInfo.GetCompilationTime());

    /// <summary>Appends "JIT (all threads) n methods (#a–#b), t ms" for what was compiled from this snapshot to
    /// <paramref name="end"/>. Built by hand: an interpolated string's generic paths have no ReadyToRun code and would
    /// compile inside the window being measured.</summary>
    public StringBuilder AppendUntil(StringBuilder text, JitSnapshot end)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ic = CultureInfo.InvariantCulture;
        return text.Append("JIT (all threads) ").Append((end.Methods - Methods).ToString(ic)).Append(" methods (#").Append((Methods + 1).ToString(ic))
            .Append("–#").Append(end.Methods.ToString(ic)).Append("), ").Append(RestoreProfile.Ms((end.Time - Time).TotalMilliseconds)).Append(" ms");
    }

    /// <summary><see cref="AppendUntil"/> to now.</summary>
    public StringBuilder AppendSince(StringBuilder text) => AppendUntil(text, Take());
}
