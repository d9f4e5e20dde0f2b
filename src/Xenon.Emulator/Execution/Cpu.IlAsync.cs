namespace Xenon.Emulator.Execution;

/// <summary>
/// Background translation: a block that reaches its threshold is queued to the <see cref="IlTranslatorThread"/> and keeps
/// running interpreted; the worker emits and compiles its method, and the block installs it at its next run if it still
/// holds the code the worker translated. The JIT then costs the process the same CPU, but no longer the vCPU's time.
/// </summary>
public sealed partial class Cpu
{
    /// <summary>Default for <see cref="IlAsync"/>: on unless XENON_SOFTCPU_IL_ASYNC=0 (the synchronous path, for
    /// before/after measurements and deterministic tests).</summary>
    public static bool IlAsyncDefault { get; set; } = Environment.GetEnvironmentVariable("XENON_SOFTCPU_IL_ASYNC") != "0";

    /// <summary>Whether hot blocks are translated on the background thread (<see cref="IlTranslatorThread"/>) instead of
    /// on this vCPU's thread when they reach the threshold.</summary>
    public bool IlAsync { get; set; } = IlAsyncDefault;

    /// <summary>The translator this CPU queues to (the process's unless a test gives its own).</summary>
    internal IlTranslatorThread? Translator { get; set; }

    /// <summary>Translations queued, installed, and not installed: refused by a full queue (the block counts again),
    /// or finished for a block that no longer held the code translated (re-decoded, recycled, its page written).</summary>
    public long IlAsyncQueued { get; private set; }
    public long IlAsyncInstalled { get; private set; }
    public long IlAsyncRefused { get; private set; }
    public long IlAsyncDiscarded { get; private set; }
    /// <summary>The worker's thread CPU (nanoseconds) for the translations this CPU installed.</summary>
    public long IlTranslationWorkerCpuNs { get; private set; }

    /// <summary>The block reached its threshold: hands it (and its region) to the worker; it runs interpreted meanwhile.</summary>
    private void QueueTranslation(DecodedBlock head)
    {
        // Nothing to translate (the first instruction has no fast form): tried, as the synchronous path leaves it.
        if (BlockTranslator.Translatable(head) == 0 || !System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported)
        {
            head.Executions = -1;
            return;
        }
        DecodedBlock[] live = RegionOf(head);
        var job = new IlTranslationJob(this, live, IlEmitOptions.Of(this));
        // Marked before queueing: the worker reads Pending as its "still wanted" hint, and no member may start a job of its own.
        foreach (DecodedBlock b in live)
        {
            b.Executions = -1;
            b.Pending = job;
        }
        if ((Translator ??= IlTranslatorThread.Shared).TryQueue(job))
        {
            IlAsyncQueued++;
            return;
        }
        IlAsyncRefused++;
        Release(job);
    }

    /// <summary>
    /// At a run of a block waiting for <paramref name="job"/>, finished: installs the translation on every block of the job
    /// if each still holds the code it was emitted from (same start, physical page, bitness, length and generation, and the
    /// page's generation unchanged); otherwise forgets it and lets the blocks count again. Returns what
    /// <paramref name="block"/> runs now, or null.
    /// </summary>
    internal TranslatedBlock? InstallTranslation(DecodedBlock block, IlTranslationJob job)
    {
        TranslatedBlock? il = job.Il;
        DecodedBlock[] live = job.Live;
        bool current = il is not null;
        for (int i = 0; i < live.Length && current; i++)
        {
            DecodedBlock b = live[i], code = job.Code[i];
            current = ReferenceEquals(b.Pending, job) && b.Holds(code) && _code.Generation(code.PhysStart >> 12) == code.Generation;
        }
        if (!current)
        {
            if (il is not null) IlAsyncDiscarded++;
            if (il is null && !job.WasDropped && job.Error is null && ReferenceEquals(live[0].Pending, job))
            {
                live[0].Pending = null; // nothing translatable: tried, Executions stays -1
                return null;
            }
            Release(job);
            return null;
        }
        IlRegion? region = job.Region;
        region?.Adopt(live);
        DecodedBlock head = live[0];
        foreach (DecodedBlock b in live) b.Pending = null;
        head.Il = il;
        head.IlCount = job.Count;
        IlBlocksTranslated++;
        IlInstructionsTranslated += job.Count;
        IlBytesTranslated += job.IlBytes;
        IlTranslationTicks += job.Ticks;
        IlTranslationWorkerCpuNs += job.CpuNs;
        if (head.AccessesMemory(job.Count)) IlBlocksTranslatedMemory++;
        if (region is not null) InstallMembers(region, il!);
        IlAsyncInstalled++;
        _translatedLog?.Add(head);
        return block.Il;
    }

    /// <summary>Gives every block still waiting for <paramref name="job"/> back to the threshold count.</summary>
    private static void Release(IlTranslationJob job)
    {
        foreach (DecodedBlock b in job.Live)
        {
            if (!ReferenceEquals(b.Pending, job)) continue;
            b.Pending = null;
            b.Executions = 0;
        }
    }

    /// <summary>A region's other members run through its method too (translated whole), found on their own or stepped into.</summary>
    private void InstallMembers(IlRegion region, TranslatedBlock il)
    {
        IlRegionsTranslated++;
        IlRegionMembers += region.Blocks.Length - 1;
        for (int i = 0; i < region.Blocks.Length; i++)
        {
            DecodedBlock m = region.Blocks[i];
            m.Il = il;
            m.Region = region;
            m.RegionEntry = i;
            m.Executions = -1;
            if (i == 0) continue;
            m.IlCount = region.Count[i];
            IlInstructionsTranslated += region.Count[i];
        }
    }

    /// <summary>Tests: the cached block entered at guest-physical <paramref name="phys"/>, if any.</summary>
    internal DecodedBlock? CachedBlock(ulong phys) => _blocks.TryGet(phys, out DecodedBlock? b) ? b : null;
}
