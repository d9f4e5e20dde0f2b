using System.Runtime.CompilerServices;
using Xenon.Emulator.Memory;
using Xenon.Emulator.State;

namespace Xenon.Emulator.Execution;

/// <summary>
/// Regions: a hot block is translated together with the warm successors it was seen going to (and theirs) that have no
/// translation yet, one method for all of them, so a branch from one to another stays inside the method
/// (<see cref="IlRegionStep"/>) instead of going back through the dispatcher. Each member is an entry of the method, so a
/// block is translated once whether the dispatcher finds it or a member branches to it, and the JIT pays its per-method
/// cost once a region.
/// </summary>
public sealed partial class Cpu
{
    /// <summary>Whether a translation takes in its head's warm successors (<see cref="IlRegion"/>). On by default;
    /// XENON_SOFTCPU_IL_REGION=0 turns it off (for before/after measurements).</summary>
    public bool IlRegions { get; set; } = IlRegionsDefault;

    /// <summary>Default for <see cref="IlRegions"/>.</summary>
    public static bool IlRegionsDefault { get; set; } = Environment.GetEnvironmentVariable("XENON_SOFTCPU_IL_REGION") != "0";

    /// <summary>Most blocks in one region, the head included (XENON_SOFTCPU_IL_REGION_BLOCKS overrides it).</summary>
    public int IlRegionMaxBlocks { get; set; } = IlRegionMaxBlocksDefault;

    /// <summary>Default for <see cref="IlRegionMaxBlocks"/>.</summary>
    public static int IlRegionMaxBlocksDefault { get; set; } =
        int.TryParse(Environment.GetEnvironmentVariable("XENON_SOFTCPU_IL_REGION_BLOCKS"), out int b) && b > 0 ? b : 8;

    /// <summary>
    /// Runs a successor must have had to join a region: a cold one would cost the JIT its IL for nothing
    /// (XENON_SOFTCPU_IL_REGION_RUNS overrides it).
    /// </summary>
    public int IlRegionMinRuns { get; set; } = IlRegionMinRunsDefault;

    /// <summary>Default for <see cref="IlRegionMinRuns"/>.</summary>
    public static int IlRegionMinRunsDefault { get; set; } =
        int.TryParse(Environment.GetEnvironmentVariable("XENON_SOFTCPU_IL_REGION_RUNS"), out int r) && r > 0 ? r : 1_000;

    /// <summary>Most instructions in one region (the JIT's cost grows with the method).</summary>
    private const int RegionMaxInstructions = 160;

    /// <summary>Translations that hold more than one block, the blocks they took in besides their heads, and the steps
    /// from one member to another inside a method.</summary>
    public long IlRegionsTranslated { get; private set; }
    public long IlRegionMembers { get; private set; }
    public long IlRegionSteps { get; private set; }

    // The block the running translation is in, and its region (set at entry, moved by IlRegionStep).
    private DecodedBlock? _ilBlock;
    private IlRegion? _ilRegion;

    /// <summary>
    /// The blocks to translate with <paramref name="head"/>: itself, then breadth-first the successors it and they were
    /// seen going to, when they are what a branch at their end reaches (a direct target or the fall-through, not a RET's
    /// return address), still current, 64-bit, translatable whole, warm and not translated yet (a translated one is
    /// reached through the dispatcher's chaining, and no block is compiled twice).
    /// </summary>
    private DecodedBlock[] RegionOf(DecodedBlock head)
    {
        if (!IlRegions || IlRegionMaxBlocks < 2 || IlRegistersInLocals || BlockTranslator.Translatable(head) != head.Count)
            return [head];
        var list = new List<DecodedBlock>(IlRegionMaxBlocks) { head };
        int instructions = head.Count;
        for (int i = 0; i < list.Count && list.Count < IlRegionMaxBlocks; i++)
        {
            DecodedBlock from = list[i];
            for (int slot = 0; slot < 2 && list.Count < IlRegionMaxBlocks; slot++)
            {
                DecodedBlock? to = slot == 0 ? from.Successor : from.Successor2;
                if (to is null || instructions + to.Count > RegionMaxInstructions || !RegionCandidate(to) ||
                    !BranchesTo(from, to.LinearStart) || Contains(list, to.LinearStart)) continue;
                list.Add(to);
                instructions += to.Count;
            }
        }
        return list.Count == 1 ? [head] : list.ToArray();
    }

    private bool RegionCandidate(DecodedBlock b) =>
        !ReferenceEquals(b, _scratch) && b.Bitness == 64 && b.HasFast && b.Count > 0 &&
        b.Il is null && b.Executions >= IlRegionMinRuns && b.Generation == _code.Generation(b.PhysStart >> 12) &&
        BlockTranslator.Translatable(b) == b.Count;

    /// <summary>Whether the end of <paramref name="from"/> can go to <paramref name="target"/> by a known address.</summary>
    private static bool BranchesTo(DecodedBlock from, ulong target)
    {
        ref FastOp last = ref from.Fast[from.Count - 1];
        ulong next = from.Instructions[from.Count - 1].NextIP;
        return last.Kind switch
        {
            FastKind.Jcc => target == last.Imm || target == next,
            FastKind.Jmp or FastKind.Call => target == last.Imm,
            FastKind.Ret => false,
            _ => target == next,
        };
    }

    private static bool Contains(List<DecodedBlock> list, ulong linear)
    {
        foreach (DecodedBlock b in list)
        {
            if (b.LinearStart == linear) return true;
        }
        return false;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void DropRegion(IlRegion r)
    {
        IlRegionsDropped++;
        foreach (DecodedBlock b in r.Blocks)
        {
            if (ReferenceEquals(b.Region, r)) b.ResetDerived();
        }
    }

    /// <summary>Regions dropped because a member's code changed.</summary>
    public long IlRegionsDropped { get; private set; }

    /// <summary>
    /// A region's method at the end of member <paramref name="from"/> (all of it retired), going to member
    /// <paramref name="to"/>: whether it may go on there, with what the dispatcher checks before chaining (budget for the
    /// whole member, no stop, NMI or interrupt to take, no store of ours into code) and what <see cref="Successor"/>
    /// checks (the member's page generation and RIP's TLB entry), and that the block is still the one translated. If so
    /// the member just finished is counted as retired here and the running block becomes <paramref name="to"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal bool IlRegionStep(int from, int to)
    {
        IlRegion r = _ilRegion!;
        int done = r.Count[from];
        long retired = InstructionsRetired + done;
        ulong linear = r.Linear[to], phys = r.Phys[to];
        int generation = r.Generation[to];
        DecodedBlock b = r.Blocks[to];
        if (_end - retired < r.Count[to] || _stopRequested || _nmiPending || SingleBlock || _wroteCode ||
            !(_interrupts is null || (_interruptsSignal && (!Attention.IsRaised || (_s.FlagsControl & RFlags.IF) == 0)))) return false;
        long stamp = 0;
        if (_linkEpochs && r.Checked[to] == (stamp = LinkStamp())) LinkChecksSkipped++;
        else
        {
            LinkChecksFull++;
            if (b.LinearStart != linear || b.PhysStart != phys || b.Generation != generation || b.Bitness != 64 ||
                _code.Generation(phys >> 12) != generation)
            {
                // The member's code changed (or its block was recycled): this method can never enter it again. Drop the
                // region from the blocks still using it, so that they are translated afresh once hot, with what they hold now.
                DropRegion(r);
                return false;
            }
            if (!BlockCurrent(linear, phys, generation)) return false;
            if (_linkEpochs) r.Checked[to] = stamp;
        }
        InstructionsRetired = retired;
        IlInstructionsRun += done;
        IlBlocksRun++;
        IlRegionSteps++;
        if (from == to) IlLoopTurns++; // a member other than the head looping to itself
        _ilBlock = b;
        return true;
    }
}
