using Xenon.Emulator.Memory;

namespace Xenon.Emulator.Execution;

/// <summary>
/// Diagnostics for tuning the IL tier: the blocks this CPU translated, kept, and translated again with other options to
/// compare what the JIT costs (same blocks, same minutes, so a busy host's drift cancels out between alternated rounds).
/// </summary>
public sealed partial class Cpu
{
    private List<DecodedBlock>? _translatedLog;

    /// <summary>Keeps every block this CPU translates from now on (for <see cref="Retranslate"/>). Off by default.</summary>
    public bool RecordTranslations
    {
        get => _translatedLog is not null;
        set => _translatedLog = value ? _translatedLog ?? [] : null;
    }

    /// <summary>Blocks kept by <see cref="RecordTranslations"/>.</summary>
    public int RecordedTranslations => _translatedLog?.Count ?? 0;

    /// <summary>
    /// Translates every recorded block again for a scratch CPU that <paramref name="configure"/> sets up (the IL options),
    /// and calls each translation once so the JIT compiles it (on the scratch CPU's empty state and memory: accesses miss
    /// or fault, nothing of this CPU is touched). Returns the calling thread's CPU nanoseconds for it all, and the IL bytes.
    /// </summary>
    /// <param name="perBlock">If given, gets each block's IL bytes, instructions and thread CPU nanoseconds.</param>
    public (long CpuNs, long IlBytes) Retranslate(Action<Cpu> configure, List<(int IlBytes, int Instructions, long CpuNs)>? perBlock = null)
    {
        ArgumentNullException.ThrowIfNull(configure);
        if (_translatedLog is null) return (0, 0);
        var scratch = new Cpu(new FlatPhysicalMemory(0x10000));
        configure(scratch);
        long bytes = 0, t0 = ThreadCpuClock.Now();
        foreach (DecodedBlock b in _translatedLog)
        {
            long b0 = perBlock is null ? 0 : ThreadCpuClock.Now();
            int count = 0, n = 0;
            TranslatedBlock? il = null;
            // Checked at the call, as in RunTranslated, so the trimmer sees the dynamic code as unreachable in NativeAOT.
            if (System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported) il = BlockTranslator.Translate(scratch, b, out count, out n);
            bytes += n;
            if (il is null) continue;
            scratch._s.Rip = b.LinearStart;
            il(b.Fast, 0);
            perBlock?.Add((n, count, ThreadCpuClock.Now() - b0));
        }
        return (ThreadCpuClock.Now() - t0, bytes);
    }
}
