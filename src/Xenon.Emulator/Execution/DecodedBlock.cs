using Iced.Intel;

namespace Xenon.Emulator.Execution;

/// <summary>
/// Instructions decoded from one guest-physical page, from an entry point up to the first control transfer (or the
/// page end). Valid while the page's <see cref="CodePageTracker"/> generation is unchanged and it is entered at the same
/// linear address in the same bitness (Iced resolves relative branches and RIP-relative operands to absolute addresses).
/// </summary>
internal sealed class DecodedBlock
{
    public const int MaxInstructions = 64;

    /// <summary>Exactly <see cref="Count"/> long for cached blocks (decoded code costs memory only for what it holds).</summary>
    public Instruction[] Instructions = [];
    /// <summary>The instructions pre-decoded for the fast path (64-bit blocks only; <see cref="FastKind.None"/> = interpret).</summary>
    public FastOp[] Fast = [];
    public bool HasFast;
    /// <summary>Every instruction has a fast form: none of them can change the mode, CPL, IF or interrupt shadow, so
    /// after running it interpreted the next block may be chained to like after a fully translated one.</summary>
    public bool AllFast;
    public int Count;
    public ulong PhysStart;
    public ulong LinearStart;
    public int Bitness;
    public int Generation;

    /// <summary>The block's leading fast-path instructions translated to IL (null until hot; dropped when re-decoded).</summary>
    public TranslatedBlock? Il;
    /// <summary>How many instructions <see cref="Il"/> covers (from the first; the rest run in the interpreter).</summary>
    public int IlCount;
    /// <summary>The region <see cref="Il"/> belongs to (null: this block alone), and this block's member index in it.</summary>
    public IlRegion? Region;
    public int RegionEntry;
    /// <summary>Executions counted towards the translation threshold; -1 once translation was tried.</summary>
    public int Executions;
    /// <summary>The CPU's retired count at the first of those executions (how fast the block is getting hot).</summary>
    public long FirstRun;
    /// <summary>The background translation this block waits for (<see cref="Cpu.IlAsync"/>; null: none). Only the vCPU
    /// thread writes it; the worker reads the block's code only through <see cref="CodeSnapshot"/> (and this field as a
    /// hint whether the job is still wanted).</summary>
    public IlTranslationJob? Pending;

    /// <summary>Chaining: the block last entered after this one (validated like any cached block before it is taken).</summary>
    public DecodedBlock? Successor, Successor2;

    /// <summary>The CPU's link stamp when GetBlock's fast check last passed for this block (-1: never): while the stamp is
    /// unchanged the check still passes (Cpu.LinkEpoch.cs).</summary>
    public long CheckedStamp = -1;

    /// <summary>Whether the first <paramref name="count"/> instructions access memory themselves (loads, stores, the stack;
    /// not through the fast path's executor): what a translation probes the TLB for.</summary>
    public bool AccessesMemory(int count)
    {
        for (int k = 0; k < count && k < Fast.Length; k++)
        {
            if (Fast[k].Kind is FastKind.MovRM or FastKind.MovMR or FastKind.MovMI or FastKind.AluRM or FastKind.ExtendRM or
                FastKind.Push or FastKind.Pop or FastKind.CmovRM or FastKind.ImulM or FastKind.Call or FastKind.Ret) return true;
        }
        return false;
    }

    /// <summary>
    /// A copy of what a translation reads (instructions, fast ops, addresses, generation): a re-decode reuses this object
    /// and its arrays in place, so a translation made on another thread must read a copy taken on the vCPU thread.
    /// </summary>
    public DecodedBlock CodeSnapshot() => new()
    {
        Instructions = Instructions.AsSpan(0, Count).ToArray(),
        Fast = Fast.AsSpan(0, Math.Min(Count, Fast.Length)).ToArray(),
        HasFast = HasFast,
        AllFast = AllFast,
        Count = Count,
        PhysStart = PhysStart,
        LinearStart = LinearStart,
        Bitness = Bitness,
        Generation = Generation,
    };

    /// <summary>Whether this block still holds the code <paramref name="snapshot"/> was taken from (not re-decoded or
    /// recycled since: a re-decode keeps these fields only for the same code at the same generation).</summary>
    public bool Holds(DecodedBlock snapshot) =>
        LinearStart == snapshot.LinearStart && PhysStart == snapshot.PhysStart && Generation == snapshot.Generation &&
        Bitness == snapshot.Bitness && Count == snapshot.Count;

    /// <summary>Forgets everything derived from the previous contents (a re-decode reuses the object).</summary>
    public void ResetDerived()
    {
        Il = null;
        IlCount = 0;
        Region = null;
        RegionEntry = 0;
        Executions = 0;
        Pending = null;
        Successor = null;
        Successor2 = null;
        CheckedStamp = -1;
    }
}

/// <summary>Decoded blocks of one vCPU keyed by guest-physical entry address. Bounded: cleared wholesale when full.</summary>
internal sealed class BlockCache
{
    private const int Capacity = 1 << 16;
    private readonly Dictionary<ulong, DecodedBlock> _blocks = new(Capacity);
    private readonly Stack<DecodedBlock> _free = new();

    public bool TryGet(ulong phys, out DecodedBlock? block) => _blocks.TryGetValue(phys, out block);

    public DecodedBlock Rent(ulong phys)
    {
        if (_blocks.TryGetValue(phys, out DecodedBlock? existing)) return existing;
        if (_blocks.Count >= Capacity)
        {
            foreach (var b in _blocks.Values) _free.Push(b);
            _blocks.Clear();
        }
        DecodedBlock block = _free.Count > 0 ? _free.Pop() : new DecodedBlock();
        _blocks[phys] = block;
        return block;
    }

    public void Clear()
    {
        foreach (var b in _blocks.Values) _free.Push(b);
        _blocks.Clear();
    }
}

/// <summary>Feeds the Iced decoder from a small buffer the block builder fills from guest memory.</summary>
internal sealed class BufferCodeReader : CodeReader
{
    public readonly byte[] Buffer = new byte[4096 + 16];
    public int Position;
    public int Length;

    public override int ReadByte() => Position < Length ? Buffer[Position++] : -1;
}
