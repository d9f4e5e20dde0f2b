using System.Runtime.CompilerServices;
using Iced.Intel;
using Xenon.Emulator.Memory;
using Xenon.Emulator.State;

namespace Xenon.Emulator.Execution;

/// <summary>
/// The IL tier: a 64-bit block that ran <see cref="IlThreshold"/> times is translated to a host method
/// (<see cref="BlockTranslator"/>) that runs its fast-path instructions without the instruction loop, and the helpers
/// that method calls. The interpreter stays the reference; the translation is dropped when its page is re-decoded.
/// </summary>
public sealed partial class Cpu
{
    /// <summary>Default for <see cref="IlTier"/>: on unless XENON_SOFTCPU_IL=0 (for before/after measurements), and off
    /// where the runtime cannot compile code (a NativeAOT build: the interpreter and fast path then do all the work).</summary>
    public static bool IlTierDefault { get; set; } =
        System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported && Environment.GetEnvironmentVariable("XENON_SOFTCPU_IL") != "0";

    private bool _ilTier = IlTierDefault;

    /// <summary>Whether hot 64-bit blocks are translated to IL (needs <see cref="FastPath"/>).</summary>
    public bool IlTier
    {
        get => _ilTier;
        set => _ilTier = value;
    }

    /// <summary>
    /// Executions of a block before it is translated. The JIT takes 0.2-0.7 ms a block on this host (P8) and a translated
    /// run saves some nanoseconds, so only very hot blocks pay off: at 50, a Linux boot translated ~40 000 blocks and
    /// spent half its time in the JIT; at 20 000 about 900, and the boot needed 1.6x less CPU time than without. With the
    /// JIT on the background thread (<see cref="IlAsync"/>) the vCPU does not wait for it, and 5 000 runs pay (P14).
    /// </summary>
    public int IlThreshold { get; set; } = IlAsyncDefault ? IlAsyncThresholdDefault : IlThresholdDefault;

    /// <summary>Default for <see cref="IlThreshold"/> when translating on the vCPU's thread (XENON_SOFTCPU_IL_THRESHOLD
    /// overrides it, for tuning).</summary>
    public static int IlThresholdDefault { get; set; } =
        int.TryParse(Environment.GetEnvironmentVariable("XENON_SOFTCPU_IL_THRESHOLD"), out int t) && t > 0 ? t : 20_000;

    /// <summary>Default for <see cref="IlThreshold"/> with <see cref="IlAsyncDefault"/> on: the JIT no longer holds the vCPU
    /// up, so blocks are worth translating sooner (boots alternating 20 000, 10 000, 5 000 and 2 000, docs/benchmarks.md
    /// "P14"); XENON_SOFTCPU_IL_THRESHOLD overrides it too.</summary>
    public static int IlAsyncThresholdDefault { get; set; } =
        int.TryParse(Environment.GetEnvironmentVariable("XENON_SOFTCPU_IL_THRESHOLD"), out int t) && t > 0 ? t : 5_000;

    /// <summary>
    /// Whether a translation keeps the GPRs in IL locals (written back at every exit, fault path and slow memory access)
    /// rather than reading and writing them in the state at each use. Off by default: the write-backs grow the IL and
    /// the JIT's work, and reading the state at each use measured as fast (count64 and the boot, 2026-11-23).
    /// </summary>
    public bool IlRegistersInLocals { get; set; } = IlRegistersInLocalsDefault;

    /// <summary>Default for <see cref="IlRegistersInLocals"/> (XENON_SOFTCPU_IL_REGLOCALS=1, for measurements).</summary>
    public static bool IlRegistersInLocalsDefault { get; set; } = Environment.GetEnvironmentVariable("XENON_SOFTCPU_IL_REGLOCALS") == "1";

    /// <summary>
    /// Whether the host-pointer loads and stores are inlined into each translation rather than called. On by default:
    /// the call saves the JIT about 10% a block, but costs count64 about 12% and the boot about 5% of CPU time.
    /// </summary>
    public bool IlInlineHostAccess { get; set; } = IlInlineHostAccessDefault;

    /// <summary>Default for <see cref="IlInlineHostAccess"/> (XENON_SOFTCPU_IL_INLINE_HOST=0 turns it off, for measurements).</summary>
    public static bool IlInlineHostAccessDefault { get; set; } = Environment.GetEnvironmentVariable("XENON_SOFTCPU_IL_INLINE_HOST") != "0";

    /// <summary>
    /// Whether a translation probes the TLB for its loads and stores in IL of its own, leaving for the interpreter at the
    /// instruction when the probe misses (<see cref="BlockTranslator"/>'s Memory part), rather than calling the host-access
    /// and slow-path helpers. On by default; XENON_SOFTCPU_IL_TLB=0 turns it off (for measurements).
    /// </summary>
    public bool IlEmittedTlb { get; set; } = IlEmittedTlbDefault;

    /// <summary>Default for <see cref="IlEmittedTlb"/>.</summary>
    public static bool IlEmittedTlbDefault { get; set; } = Environment.GetEnvironmentVariable("XENON_SOFTCPU_IL_TLB") != "0";

    /// <summary>
    /// Whether a translated block that branches to its own start loops inside its method (checking the budget, stop,
    /// NMI, attention word and its page at each turn, as chaining does) instead of returning to the dispatcher. On by
    /// default; XENON_SOFTCPU_IL_LOOPS=0 turns it off (for before/after measurements).
    /// </summary>
    public bool IlLoops { get; set; } = IlLoopsDefault;

    /// <summary>Default for <see cref="IlLoops"/>.</summary>
    public static bool IlLoopsDefault { get; set; } = Environment.GetEnvironmentVariable("XENON_SOFTCPU_IL_LOOPS") != "0";

    /// <summary>
    /// Executions after which a block is translated before <see cref="IlThreshold"/> if it got there within
    /// <see cref="IlEarlyWindow"/> instructions of its first execution: a block that hot that fast is in a loop that goes
    /// on, while one that gathers its runs slowly over the boot rarely repays the JIT (0.2-0.7 ms a block). 0 turns it
    /// off. Chosen from a recorded boot (2026-11-23, docs/emulator.md "Speed today"); XENON_SOFTCPU_IL_EARLY overrides it.
    /// </summary>
    public int IlEarlyThreshold { get; set; } = IlEarlyThresholdDefault;

    /// <summary>Default for <see cref="IlEarlyThreshold"/>.</summary>
    public static int IlEarlyThresholdDefault { get; set; } =
        int.TryParse(Environment.GetEnvironmentVariable("XENON_SOFTCPU_IL_EARLY"), out int e) && e >= 0 ? e : 5_000;

    /// <summary>Instructions retired (by this vCPU) within which <see cref="IlEarlyThreshold"/> executions count as hot.</summary>
    public long IlEarlyWindow { get; set; } = IlEarlyWindowDefault;

    /// <summary>Default for <see cref="IlEarlyWindow"/> (XENON_SOFTCPU_IL_EARLY_WINDOW overrides it).</summary>
    public static long IlEarlyWindowDefault { get; set; } =
        long.TryParse(Environment.GetEnvironmentVariable("XENON_SOFTCPU_IL_EARLY_WINDOW"), out long w) && w > 0 ? w : 50_000_000;

    /// <summary>
    /// Whether a block whose instructions all have fast forms, run interpreted, goes straight to its successor as a
    /// translated block does (<see cref="ChainReady"/>, <see cref="Successor"/>) instead of back to <see cref="Run"/>. On by
    /// default; XENON_SOFTCPU_CHAIN_INTERP=0 turns it off (for before/after measurements).
    /// </summary>
    public bool ChainInterpreted
    {
        get => _chainInterpreted;
        set => _chainInterpreted = value;
    }

    private bool _chainInterpreted = ChainInterpretedDefault;

    /// <summary>Default for <see cref="ChainInterpreted"/>.</summary>
    public static bool ChainInterpretedDefault { get; set; } = Environment.GetEnvironmentVariable("XENON_SOFTCPU_CHAIN_INTERP") != "0";

    /// <summary>Interpreted blocks that went straight to their successor (<see cref="ChainInterpreted"/>).</summary>
    public long InterpretedBlocksChained { get; private set; }

    /// <summary>Turns a translated block took back to its own start inside its method.</summary>
    public long IlLoopTurns { get; private set; }

    /// <summary>Blocks translated so far, and block executions that ran translated code (diagnostics and tests).</summary>
    public long IlBlocksTranslated { get; private set; }
    public long IlBlocksRun { get; private set; }
    /// <summary>Instructions the translations cover, instructions retired by translated code, and the time spent
    /// translating (emitting the IL and the JIT's compilation on the first call), in Stopwatch ticks.</summary>
    public long IlInstructionsTranslated { get; private set; }
    public long IlInstructionsRun { get; private set; }
    public long IlTranslationTicks { get; private set; }
    /// <summary>The same cost in the vCPU thread's CPU time (nanoseconds), in all and for the blocks with memory accesses:
    /// wall time on a loaded host also counts other work.</summary>
    public long IlTranslationCpuNs { get; private set; }
    public long IlTranslationCpuNsMemory { get; private set; }
    /// <summary>Methods the runtime compiled on this vCPU's thread while it translated (synchronously: each translation's
    /// own method, and helpers at their first call) or installed a background translation and ran it first (none once the
    /// helpers are compiled: the worker's call compiled the method).</summary>
    public long IlTranslationJitMethods { get; private set; }
    /// <summary>Bytes of IL the translations took (the JIT's cost grows with it).</summary>
    public long IlBytesTranslated { get; private set; }
    /// <summary>Translated blocks with at least one memory access of their own (loads, stores, the stack).</summary>
    public long IlBlocksTranslatedMemory { get; private set; }
    /// <summary>Translated runs that left early for the interpreter: a memory access whose TLB entry had no host pointer
    /// for it (a miss, the first write to a clean page, MMIO, a page-crossing access), or a store into code.</summary>
    public long IlEarlyExits { get; private set; }
    /// <summary>Blocks entered straight from the previous translated block, without going back to <see cref="Run"/>.</summary>
    public long IlBlocksChained { get; private set; }

    /// <summary>
    /// Runs the block's translation if it has one (translating it once it is hot). Returns the index the interpreter
    /// continues at (the block's count when nothing is left), or -1 with a pending fault at <see cref="_instrStart"/>;
    /// <paramref name="block"/> is then the block that index is in (a region's method may have gone on into another).
    /// </summary>
    private int RunTranslated(ref DecodedBlock block, long end)
    {
        TranslatedBlock? il = block.Il;
        if (il is null)
        {
            if (block.Executions < 0)
            {
                // Tried already, or waiting for the background translator: installed at the first run after it finished.
                return block.Pending is { Finished: true } job ? RunInstalled(ref block, job, end) : 0;
            }
            int runs = ++block.Executions;
            if ((runs < IlThreshold && !HotEarly(block, runs)) || ReferenceEquals(block, _scratch)) return 0;
            if (IlAsync)
            {
                QueueTranslation(block);
                return 0;
            }
            block.Executions = -1;
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp(), c0 = ThreadCpuClock.Now();
            long j0 = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true);
            int count = 0, bytes = 0;
            IlRegion? region = null;
            // Checked here, not only in IlTierDefault, so the trimmer sees the dynamic code as unreachable in NativeAOT.
            if (System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported)
                il = BlockTranslator.Translate(this, RegionOf(block), out count, out bytes, out region);
            if (il is null) return 0;
            block.Il = il;
            block.IlCount = count;
            IlBlocksTranslated++;
            IlInstructionsTranslated += count;
            if (region is not null) InstallMembers(region, il);
            IlBytesTranslated += bytes;
            _translatedLog?.Add(block);
            if (_s.InterruptShadow || end - InstructionsRetired < count) return 0;
            // The JIT compiles the method on its first call: time that too (what a translation costs).
            int first = RunIl(block, il);
            IlTranslationTicks += System.Diagnostics.Stopwatch.GetTimestamp() - t0;
            long cpu = ThreadCpuClock.Now() - c0;
            IlTranslationJitMethods += System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true) - j0;
            IlTranslationCpuNs += cpu;
            if (block.AccessesMemory(count))
            {
                IlBlocksTranslatedMemory++;
                IlTranslationCpuNsMemory += cpu;
            }
            return AfterRegion(ref block, first, end);
        }
        // The translation retires its instructions without looking at the budget, and knows no interrupt shadow.
        if (_s.InterruptShadow || end - InstructionsRetired < block.IlCount) return 0;
        return AfterRegion(ref block, RunIl(block, il), end);
    }

    /// <summary>
    /// The first run of a block whose background translation finished: installs it (<see cref="InstallTranslation"/>) and
    /// runs it. What this costs the vCPU thread is counted as its translating time (the worker's is apart), so the boot
    /// bench shows whether any JIT is left on the vCPU thread.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int RunInstalled(ref DecodedBlock block, IlTranslationJob job, long end)
    {
        long c0 = ThreadCpuClock.Now(), j0 = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true);
        TranslatedBlock? il = InstallTranslation(block, job);
        if (il is null) return 0;
        int first = _s.InterruptShadow || end - InstructionsRetired < block.IlCount ? int.MinValue : RunIl(block, il);
        long cpu = ThreadCpuClock.Now() - c0;
        IlTranslationJitMethods += System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true) - j0;
        IlTranslationCpuNs += cpu;
        if (job.Live[0].AccessesMemory(job.Count)) IlTranslationCpuNsMemory += cpu;
        return first == int.MinValue ? 0 : AfterRegion(ref block, first, end);
    }

    /// <summary>After a translation ran: <paramref name="block"/> becomes the block it stopped in (a region's method may
    /// have gone on into another member, which is translated whole, whatever IlCount its own translation has).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int AfterRegion(ref DecodedBlock block, int r, long end)
    {
        DecodedBlock now = _ilBlock!;
        int covered = ReferenceEquals(now, block) ? block.IlCount : now.Count;
        block = now;
        return AfterIl(now, r, end, covered);
    }

    /// <summary>Below the threshold: notes the first run, and says whether the block reached
    /// <see cref="IlEarlyThreshold"/> runs within <see cref="IlEarlyWindow"/> instructions of it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool HotEarly(DecodedBlock block, int runs)
    {
        if (runs == 1)
        {
            block.FirstRun = InstructionsRetired;
            return false;
        }
        return runs == IlEarlyThreshold && InstructionsRetired - block.FirstRun < IlEarlyWindow;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int RunIl(DecodedBlock block, TranslatedBlock il)
    {
        _wroteCode = false;
        _instrStart = block.LinearStart;
        _blockIndex = 0;
        IlBlocksRun++;
        _ilBlock = block;
        IlRegion? region = block.Region;
        _ilRegion = region;
        return region is null ? il(block.Fast, 0) : il(region.Ops, block.RegionEntry);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int AfterIl(DecodedBlock block, int r, long end, int covered)
    {
        if (r < 0)
        {
            int k = ~r;
            InstructionsRetired += k;
            IlInstructionsRun += k;
            _blockIndex = k;
            _instrStart = k == 0 ? block.LinearStart : block.Instructions[k - 1].NextIP;
            return -1;
        }
        InstructionsRetired += r;
        IlInstructionsRun += r;
        if (r >= block.Count || InstructionsRetired >= end) return block.Count;
        if (r < covered) IlEarlyExits++;
        // Stopped early: at an instruction without a fast form, or after a store into a page holding code.
        if (_wroteCode && _code.Generation(block.PhysStart >> 12) != block.Generation) return block.Count;
        return r;
    }

    // ---- chaining: translated blocks run one after another without going back to Run ----

    // The translated block whose successor Run looked up last (linked to whatever GetBlock returns next).
    private DecodedBlock? _chainFrom;

    /// <summary>
    /// Whether the next block may start without going back to <see cref="Run"/>: budget left, no stop or NMI, and no
    /// interrupt Run would take at this boundary (a polled source always sends us back).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool ChainReady() =>
        InstructionsRetired < _end && !_stopRequested && !_nmiPending && !SingleBlock &&
        (_interrupts is null || (_interruptsSignal && (!Attention.IsRaised || (_s.FlagsControl & RFlags.IF) == 0)));

    /// <summary>
    /// The successor the block last went to at RIP, if it is still what GetBlock would return: same linear start, still
    /// 64-bit code, page generation unchanged, and RIP's TLB entry still maps it executable for this CPL. Mode and CPL
    /// cannot change inside translated code, so GetBlock's mode checks hold from the block before. A RIP neither slot
    /// holds (a RET to another caller, a computed jump) is looked for in GetBlock's recent-block array under the same
    /// checks (<see cref="ChainRecent"/>), which saves the round trip through Run, and is linked as Run would link it.
    /// </summary>
    private DecodedBlock? Successor(DecodedBlock from)
    {
        ulong rip = _s.Rip;
        DecodedBlock? b = from.Successor;
        if (b is null || b.LinearStart != rip)
        {
            b = from.Successor2;
            if (b is null || b.LinearStart != rip)
            {
                b = _chainRecent ? _recent[RecentIndex(rip)] : null;
                if (b is null || b.LinearStart != rip || !StillCurrent(b, rip))
                {
                    _chainFrom = from;
                    return null;
                }
                ChainedThroughRecent++;
                // As LinkSuccessor: the second slot follows the latest third target (from and b are never _scratch).
                if (from.Successor is null) from.Successor = b;
                else from.Successor2 = b;
                return b;
            }
        }
        return StillCurrent(b, rip) ? b : null;
    }

    /// <summary>GetBlock's fast check for a block entered at <paramref name="rip"/> (its LinearStart) in 64-bit code.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool StillCurrent(DecodedBlock b, ulong rip)
    {
        long stamp = 0;
        if (_linkEpochs)
        {
            stamp = LinkStamp();
            if (b.CheckedStamp == stamp)
            {
                LinkChecksSkipped++;
                return true;
            }
        }
        LinkChecksFull++;
        if (b.Bitness != 64 || b.LinearStart != rip || !BlockCurrent(rip, b.PhysStart, b.Generation)) return false;
        if (_linkEpochs) b.CheckedStamp = stamp;
        return true;
    }

    /// <summary>Whether code decoded at <paramref name="linear"/> from <paramref name="phys"/> at page generation
    /// <paramref name="generation"/> is what a fetch at <paramref name="linear"/> would find now: the page's generation is
    /// unchanged and the TLB entry maps it there executable for this CPL (GetBlock's fast check).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool BlockCurrent(ulong linear, ulong phys, int generation)
    {
        if (_code.Generation(phys >> 12) != generation) return false;
        ref TlbEntry e = ref _tlb.Entry(linear);
        return e.Tag == (linear >> 12) + 1 && e.PhysPage == (phys & ~0xFFFUL) && (phys & 0xFFF) == (linear & 0xFFF) &&
            (e.Allowed & (UserAccess ? 32 : 4)) != 0;
    }

    /// <summary>
    /// Whether chaining looks a RIP neither successor slot holds up in the recent-block array instead of going back to
    /// <see cref="Run"/>. On by default; XENON_SOFTCPU_CHAIN_RECENT=0 turns it off (for before/after measurements).
    /// </summary>
    public bool ChainRecent
    {
        get => _chainRecent;
        set => _chainRecent = value;
    }

    private bool _chainRecent = ChainRecentDefault;

    /// <summary>Default for <see cref="ChainRecent"/>.</summary>
    public static bool ChainRecentDefault { get; set; } = Environment.GetEnvironmentVariable("XENON_SOFTCPU_CHAIN_RECENT") != "0";

    /// <summary>Blocks chained to through the recent-block array (<see cref="ChainRecent"/>), and block lookups
    /// <see cref="Run"/> made (every block start that did not chain).</summary>
    public long ChainedThroughRecent { get; private set; }
    public long DispatcherLookups { get; private set; }

    /// <summary>After GetBlock: remembers the block as a successor of the translated block that ended before it.</summary>
    private void LinkSuccessor(DecodedBlock to)
    {
        DecodedBlock from = _chainFrom!;
        _chainFrom = null;
        if (!to.HasFast || ReferenceEquals(to, _scratch) || ReferenceEquals(from, _scratch)) return;
        // Two slots: a conditional branch has two successors; a third target (RET, a computed jump) replaces the second.
        if (from.Successor is null) from.Successor = to;
        else from.Successor2 = to;
    }

    // ---- helpers the translated code calls (internal: BlockTranslator binds them by name) ----
    // The cold ones (slow memory paths, the fast path's executor, the loop check, a fault) are NoInlining: inlined, the JIT
    // imported them and their callees into every translation. With them called, a block with memory accesses took
    // 1.1-1.3 ms of JIT thread CPU instead of 1.8-2.2 ms (P7, thread CPU clock around the first call, 930 blocks of a boot).

    /// <summary>A load through the TLB's host pointer only; false means "take the slow path", not a fault.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool IlLoadFast(int seg, ulong ea, int size, out ulong value)
    {
        ulong lin = seg >= Seg.Fs ? ea + _s.Segments[seg].Base : ea;
        return TryReadHost(lin, size, UserAccess, out value);
    }

    /// <summary>The full load (canonical check, walk, MMIO); false with a pending fault.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal bool IlLoadSlow(int seg, ulong ea, int size, out ulong value)
    {
        value = 0;
        return Linear(seg, ea, out ulong lin) && ReadLinear(lin, size, out value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool IlStoreFast(int seg, ulong ea, int size, ulong value)
    {
        ulong lin = seg >= Seg.Fs ? ea + _s.Segments[seg].Base : ea;
        return TryWriteHost(lin, size, UserAccess, value);
    }

    /// <summary><see cref="IlLoadFast"/> as a call: keeps the translations small for the JIT.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal bool IlLoadHost(int seg, ulong ea, int size, out ulong value) => IlLoadFast(seg, ea, size, out value);

    /// <summary><see cref="IlStoreFast"/> as a call: keeps the translations small for the JIT.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal bool IlStoreHost(int seg, ulong ea, int size, ulong value) => IlStoreFast(seg, ea, size, value);

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal bool IlStoreSlow(int seg, ulong ea, int size, ulong value) =>
        Linear(seg, ea, out ulong lin) && WriteLinear(lin, size, value);

    /// <summary>An instruction the translator leaves to the fast path's executor, on the written-back state.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal bool IlFallback(ref FastOp f, ulong next)
    {
        _s.Rip = next;
        _next = next;
        return ExecuteFast(ref f);
    }

    internal bool IlCond(int cc) => Cond((ConditionCode)cc);

    /// <summary>After a translation's store through a host pointer: the code-page check of every RAM store. Called, not
    /// inlined: the JIT then compiles a block with stores in 15% less time, and the call costs about 1% of a boot.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal void IlAfterStore(ulong physPage) => AfterCodeWrite(physPage >> 12);

    internal ulong IlCarry() => _s.Lazy.Carry ? 1UL : 0;

    internal ulong IlIncDecAux() => _s.Lazy.Carry ? RFlags.CF : 0;

    /// <summary>A shift or rotate by a non-zero count: the result, with the flags set as the fast path sets them.</summary>
    internal ulong IlShift(int sub, int size, ulong dst, int count)
    {
        if (sub < 3) return ShiftLazy(sub, size, dst, count);
        ShiftResult(ShiftMnemonics[sub], size, dst, count, out ulong res, out ulong flags);
        _s.Lazy.SetAll(flags);
        return res;
    }

    /// <summary>
    /// A block looping to its own start: whether it may run again without going back to Run, with what the dispatcher
    /// would check between two chained runs of it (<see cref="ChainReady"/>, the budget for the whole block, a store into
    /// code, the page's generation and RIP's TLB entry, as <see cref="Successor"/>). If so the turn just finished is
    /// counted as retired here; if not, the method returns it as usual.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal bool IlLoopBack(int count, ulong linear, ulong physStart, int generation)
    {
        long retired = InstructionsRetired + count;
        if (_end - retired < count || _stopRequested || _nmiPending || SingleBlock || _wroteCode ||
            !(_interrupts is null || (_interruptsSignal && (!Attention.IsRaised || (_s.FlagsControl & RFlags.IF) == 0)))) return false;
        // The running block is the head, not re-decoded while its method runs, so its stamp speaks for these constants.
        DecodedBlock b = _ilBlock!;
        long stamp = 0;
        if (_linkEpochs && b.CheckedStamp == (stamp = LinkStamp()) && b.LinearStart == linear) LinkChecksSkipped++;
        else
        {
            LinkChecksFull++;
            if (!BlockCurrent(linear, physStart, generation)) return false;
            if (_linkEpochs && b.LinearStart == linear && b.PhysStart == physStart && b.Generation == generation) b.CheckedStamp = stamp;
        }
        InstructionsRetired = retired;
        IlInstructionsRun += count;
        IlBlocksRun++;
        IlLoopTurns++;
        return true;
    }

    /// <summary>RET to a non-canonical address: #GP(0) with RSP unchanged.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal void IlRetTargetFault() => Fault(Vector.GP, 0);
}
