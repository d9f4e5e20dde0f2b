namespace Xenon.Emulator.Execution;

/// <summary>
/// The blocks one translation holds: its head and the hot successors it branches to inside the method instead of
/// returning to the dispatcher. Each member's code in the method is what the member held when it was translated, so the
/// method enters a member only while the member is still exactly that (<see cref="Cpu.IlRegionStep"/> compares the
/// snapshot kept here with the block and with its page's generation).
/// </summary>
internal sealed class IlRegion
{
    public readonly DecodedBlock[] Blocks;
    public readonly ulong[] Linear;
    public readonly ulong[] Phys;
    public readonly int[] Generation;
    /// <summary>Instructions of each member the method runs (the head's translated part; every other member whole).</summary>
    public readonly int[] Count;
    /// <summary>Every member's fast ops one after another: the method's argument (a fallback passes its op by reference).</summary>
    public readonly FastOp[] Ops;
    public readonly int[] OpsBase;
    /// <summary>Per member, the CPU's link stamp when <see cref="Cpu.IlRegionStep"/>'s member check last passed (-1: never).</summary>
    public readonly long[] Checked;

    public IlRegion(DecodedBlock[] blocks, int headCount)
    {
        Blocks = blocks;
        int n = blocks.Length;
        Linear = new ulong[n];
        Phys = new ulong[n];
        Generation = new int[n];
        Count = new int[n];
        OpsBase = new int[n];
        Checked = new long[n];
        Array.Fill(Checked, -1L);
        int total = 0;
        for (int i = 0; i < n; i++)
        {
            DecodedBlock b = blocks[i];
            Linear[i] = b.LinearStart;
            Phys[i] = b.PhysStart;
            Generation[i] = b.Generation;
            Count[i] = i == 0 ? headCount : b.Count;
            OpsBase[i] = total;
            total += Count[i];
        }
        Ops = new FastOp[total];
        for (int i = 0; i < n; i++) Array.Copy(blocks[i].Fast, 0, Ops, OpsBase[i], Count[i]);
    }

    /// <summary>
    /// Points the region at the live blocks of the vCPU (a background translation builds it from snapshots of them,
    /// <see cref="DecodedBlock.CodeSnapshot"/>); the snapshot fields above stay what the method was emitted from.
    /// </summary>
    public void Adopt(DecodedBlock[] live)
    {
        for (int i = 0; i < Blocks.Length; i++) Blocks[i] = live[i];
    }

    /// <summary>The member that starts at <paramref name="linear"/>, or -1.</summary>
    public int IndexOf(ulong linear)
    {
        for (int i = 0; i < Linear.Length; i++)
        {
            if (Linear[i] == linear) return i;
        }
        return -1;
    }
}
