using System.Reflection;
using System.Reflection.Emit;
using Xenon.Emulator.Memory;
using Xenon.Emulator.State;

namespace Xenon.Emulator.Execution;

/// <summary>
/// A hot block's leading fast-path instructions as one host method (with a region, its members' too: the method starts at
/// member <c>entry</c>, 0 being the block it was translated for; a negative entry returns 0 at once, touching nothing). Returns the number of instructions it retired in the
/// member it stopped in (RIP then points past the last of them, or at a taken branch's target), or the one's complement
/// of the index of the instruction that failed with a pending fault (RIP not yet put back, nothing of it committed).
/// </summary>
/// <remarks>Closed over its vCPU (blocks are per-vCPU): a closed delegate is called without the shuffle thunk an open
/// static one needs.</remarks>
internal delegate int TranslatedBlock(FastOp[] ops, int entry);

/// <summary>The CPU's options a translation is emitted with, read on the vCPU thread (a background translation must not
/// read the live CPU).</summary>
internal readonly record struct IlEmitOptions(bool RegistersInLocals, bool InlineHostAccess, bool Loops, bool EmittedTlb)
{
    public static IlEmitOptions Of(Cpu cpu) => new(cpu.IlRegistersInLocals, cpu.IlInlineHostAccess, cpu.IlLoops, cpu.IlEmittedTlb);
}

/// <summary>
/// Translates the <see cref="FastOp"/>s of a 64-bit block into IL (<see cref="DynamicMethod"/>) with the interpreter's
/// semantics: GPRs are read and written in the CPU state at each use (or, with <see cref="Cpu.IlRegistersInLocals"/>,
/// live in locals, loaded at entry and written back at every exit and before any call that reads the CPU state); the
/// lazy flags are stored as the fast path stores them, except where a later instruction overwrites them before anything
/// can see them (<see cref="DeadFlagWrites"/>). The first instruction without a fast form ends the translated part.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode("emits IL with DynamicMethod; Cpu checks RuntimeFeature.IsDynamicCodeSupported first")]
internal sealed partial class BlockTranslator
{
    private const BindingFlags Any = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;

    private static readonly FieldInfo StateField = typeof(Cpu).GetField("_s", Any)!;
    private static readonly FieldInfo WroteCodeField = typeof(Cpu).GetField("_wroteCode", Any)!;
    private static readonly FieldInfo GprField = typeof(CpuState).GetField(nameof(CpuState.Gpr))!;
    private static readonly FieldInfo GprElement = typeof(GprFile).GetField("_element", Any)!;
    private static readonly FieldInfo RipField = typeof(CpuState).GetField(nameof(CpuState.Rip))!;
    private static readonly FieldInfo LazyField = typeof(CpuState).GetField(nameof(CpuState.Lazy), Any)!;
    private static readonly FieldInfo LazyOp = typeof(LazyFlags).GetField(nameof(LazyFlags.Op))!;
    private static readonly FieldInfo LazyBits = typeof(LazyFlags).GetField(nameof(LazyFlags.Bits))!;
    private static readonly FieldInfo LazyDst = typeof(LazyFlags).GetField(nameof(LazyFlags.Dst))!;
    private static readonly FieldInfo LazySrc = typeof(LazyFlags).GetField(nameof(LazyFlags.Src))!;
    private static readonly FieldInfo LazyResult = typeof(LazyFlags).GetField(nameof(LazyFlags.Result))!;
    private static readonly FieldInfo LazyAux = typeof(LazyFlags).GetField(nameof(LazyFlags.Aux))!;
    private static readonly MethodInfo LoadFast = Helper(nameof(Cpu.IlLoadFast));
    private static readonly MethodInfo LoadHost = Helper(nameof(Cpu.IlLoadHost));
    private static readonly MethodInfo StoreHost = Helper(nameof(Cpu.IlStoreHost));
    private static readonly MethodInfo LoadSlow = Helper(nameof(Cpu.IlLoadSlow));
    private static readonly MethodInfo StoreFast = Helper(nameof(Cpu.IlStoreFast));
    private static readonly MethodInfo StoreSlow = Helper(nameof(Cpu.IlStoreSlow));
    private static readonly MethodInfo Fallback = Helper(nameof(Cpu.IlFallback));
    private static readonly MethodInfo CondHelper = Helper(nameof(Cpu.IlCond));
    private static readonly MethodInfo CarryHelper = Helper(nameof(Cpu.IlCarry));
    private static readonly MethodInfo IncDecAuxHelper = Helper(nameof(Cpu.IlIncDecAux));
    private static readonly MethodInfo ShiftHelper = Helper(nameof(Cpu.IlShift));
    private static readonly MethodInfo ImulHelper = Helper(nameof(Cpu.ImulTruncated));
    private static readonly MethodInfo RetFaultHelper = Helper(nameof(Cpu.IlRetTargetFault));
    private static readonly MethodInfo LoopBackHelper = Helper(nameof(Cpu.IlLoopBack));
    private static readonly MethodInfo RegionStepHelper = Helper(nameof(Cpu.IlRegionStep));

    private static MethodInfo Helper(string name) => typeof(Cpu).GetMethod(name, Any) ?? throw new MissingMethodException(name);

    // The block being emitted and how many of its instructions (a region emits its members one after another).
    private DecodedBlock _block;
    private int _count;
    private readonly DecodedBlock _head;
    private readonly int _headCount;
    // A region (null: the head alone): its members' entry labels, the member being emitted, and where its ops start in
    // the method's argument.
    private readonly IlRegion? _region;
    private Label[] _entries = [];
    private int _seg;
    private int _opsBase;
    private readonly ILGenerator _il;
    private readonly DynamicMethod _method;
    private readonly LocalBuilder[] _r = new LocalBuilder[16];
    private readonly LocalBuilder _gpr, _state, _lazy, _ea, _val, _d, _s2, _res, _aux;
    private readonly bool _inLocals;
    private readonly bool _inlineHost;
    // The TLB probe as IL (Cpu.IlEmittedTlb), and its locals: the entry array, the entry, a segmented linear address, the
    // page offset, the read and write permission masks; declared only when the translation accesses memory.
    private readonly bool _emittedTlb;
    private readonly LocalBuilder? _tlb, _entry, _lin, _off, _readMask, _writeMask;
    private Label?[] _sideExits;
    // Set when the block may branch back to its own start inside the method (marked after the entry code).
    private readonly bool _loops;
    // Whether a member may branch back to its own start (IlLoops; the head does so through IlLoopBack).
    private readonly bool _selfEdges;
    private Label _top;
    private int _used;   // registers the translated part touches (loaded at entry; only with _inLocals)
    private int _dirty;  // registers whose local is newer than CpuState
    // The flag-setting ALU op just emitted, whose operands are still in _d/_s2/_res: a Jcc right after it compares them
    // directly instead of evaluating the lazy flags (what Cond's CMP shortcut does, without the call).
    private int _fuseIndex = -1;
    private int _current;
    private bool[] _flagsDead = [];
    private FlagOp _fuseOp;
    private int _fuseBits;

    private BlockTranslator(IlEmitOptions options, DecodedBlock block, int count, IlRegion? region)
    {
        _inLocals = options.RegistersInLocals;
        _inlineHost = options.InlineHostAccess;
        // Registers in locals would need the write-back on each turn: loops only with registers in the state.
        _loops = options.Loops && !_inLocals && count == block.Count;
        _selfEdges = options.Loops;
        _block = _head = block;
        _count = _headCount = count;
        _region = region;
        _method = new DynamicMethod($"block_{block.LinearStart:x}", typeof(int), [typeof(Cpu), typeof(FastOp[]), typeof(int)], typeof(Cpu).Module,
            skipVisibility: true);
        _il = _method.GetILGenerator(256 + (region?.Ops.Length ?? count) * 96);
        _gpr = _il.DeclareLocal(typeof(ulong).MakeByRefType());
        _state = _il.DeclareLocal(typeof(CpuState));
        _lazy = _il.DeclareLocal(typeof(LazyFlags).MakeByRefType());
        _ea = _il.DeclareLocal(typeof(ulong));
        _val = _il.DeclareLocal(typeof(ulong));
        _d = _il.DeclareLocal(typeof(ulong));
        _s2 = _il.DeclareLocal(typeof(ulong));
        _res = _il.DeclareLocal(typeof(ulong));
        _aux = _il.DeclareLocal(typeof(ulong));
        _sideExits = new Label?[count];
        bool memory = block.AccessesMemory(count);
        for (int i = 1; region is not null && i < region.Blocks.Length; i++) memory |= region.Blocks[i].AccessesMemory(region.Count[i]);
        _emittedTlb = options.EmittedTlb && memory;
        if (_emittedTlb)
        {
            _tlb = _il.DeclareLocal(typeof(TlbEntry).MakeByRefType());
            _entry = _il.DeclareLocal(typeof(TlbEntry).MakeByRefType());
            _lin = _il.DeclareLocal(typeof(ulong));
            _off = _il.DeclareLocal(typeof(int));
            _readMask = _il.DeclareLocal(typeof(int));
            _writeMask = _il.DeclareLocal(typeof(int));
        }
    }

    /// <summary>How many leading instructions of the block have a fast form (what a translation covers).</summary>
    public static int Translatable(DecodedBlock block)
    {
        int n = 0;
        while (n < block.Count && n < block.Fast.Length && block.Fast[n].Kind != FastKind.None)
        {
            // A branch ends its block when decoded; the translation relies on it being last.
            if (block.Fast[n++].Kind is FastKind.Jcc or FastKind.Jmp or FastKind.Call or FastKind.Ret) break;
        }
        return n;
    }

    /// <summary>The translation of the block's leading fast-path instructions, or null if it has none.</summary>
    public static TranslatedBlock? Translate(Cpu cpu, DecodedBlock block, out int count, out int ilBytes) =>
        Translate(cpu, [block], out count, out ilBytes, out _);

    /// <summary>
    /// The translation of <paramref name="blocks"/>[0]'s leading fast-path instructions and, when more blocks are given
    /// (each wholly translatable: <see cref="Translatable"/> equals its count), of those too, in the same method: a branch
    /// or fall-through to a member's start goes on there (<see cref="Cpu.IlRegionStep"/>) instead of returning.
    /// </summary>
    public static TranslatedBlock? Translate(Cpu cpu, DecodedBlock[] blocks, out int count, out int ilBytes, out IlRegion? region)
    {
        DynamicMethod? m = EmitMethod(IlEmitOptions.Of(cpu), blocks, out count, out ilBytes, out region);
        return m is null ? null : Bind(m, cpu);
    }

    /// <summary>
    /// <see cref="Translate(Cpu, DecodedBlock[], out int, out int, out IlRegion?)"/>'s method, not yet bound to a CPU. It
    /// reads only <paramref name="options"/> and <paramref name="blocks"/> (not the CPU), so a background thread can
    /// emit it from snapshots of the blocks.
    /// </summary>
    public static DynamicMethod? EmitMethod(IlEmitOptions options, DecodedBlock[] blocks, out int count, out int ilBytes,
        out IlRegion? region)
    {
        ilBytes = 0;
        region = null;
        DecodedBlock block = blocks[0];
        count = Translatable(block);
        if (count == 0 || !block.HasFast) return null;
        if (blocks.Length > 1) region = new IlRegion(blocks, count);
        var t = new BlockTranslator(options, block, count, region);
        t.Emit();
        ilBytes = t._il.ILOffset;
        return t._method;
    }

    /// <summary>The method closed over <paramref name="cpu"/> (the same compiled code for every CPU it is bound to).</summary>
    public static TranslatedBlock Bind(DynamicMethod method, Cpu cpu) =>
        (TranslatedBlock)method.CreateDelegate(typeof(TranslatedBlock), cpu);

    private void Emit()
    {
        int members = _region?.Blocks.Length ?? 1;
        for (int i = 0; i < members; i++)
        {
            DecodedBlock b = i == 0 ? _head : _region!.Blocks[i];
            int n = i == 0 ? _headCount : _region!.Count[i];
            for (int k = 0; k < n; k++) _used |= Uses(ref b.Fast[k]);
        }
        // A negative entry returns before reading anything: the translator thread calls the method so to have the JIT
        // compile it there (Cpu.IlAsync), without running any of it (a compare and branch the CPU predicts every time).
        Label body = _il.DefineLabel();
        _il.Emit(OpCodes.Ldarg_2);
        _il.Emit(OpCodes.Ldc_I4_0);
        _il.Emit(OpCodes.Bge, body);
        _il.Emit(OpCodes.Ldc_I4_0);
        _il.Emit(OpCodes.Ret);
        _il.MarkLabel(body);
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Ldfld, StateField);
        _il.Emit(OpCodes.Stloc, _state);
        _il.Emit(OpCodes.Ldloc, _state);
        _il.Emit(OpCodes.Ldflda, GprField);
        _il.Emit(OpCodes.Ldflda, GprElement);
        _il.Emit(OpCodes.Stloc, _gpr);
        _il.Emit(OpCodes.Ldloc, _state);
        _il.Emit(OpCodes.Ldflda, LazyField);
        _il.Emit(OpCodes.Stloc, _lazy);
        if (!_inLocals) _used = 0;
        for (int r = 0; r < 16; r++)
        {
            if ((_used & (1 << r)) == 0) continue;
            _r[r] = _il.DeclareLocal(typeof(ulong));
        }
        Reload(_used);
        if (_emittedTlb) EmitMemoryEntry();
        if (_region is not null)
        {
            _entries = new Label[members];
            for (int i = 0; i < members; i++) _entries[i] = _il.DefineLabel();
            // Every member is an entry: the dispatcher runs a member found on its own through this method too.
            _il.Emit(OpCodes.Ldarg_2);
            _il.Emit(OpCodes.Switch, _entries);
        }
        _top = _region is not null ? _entries[0] : _il.DefineLabel();
        if (_loops || _region is not null) _il.MarkLabel(_top);
        for (int i = 0; i < members; i++)
        {
            if (i > 0) _il.MarkLabel(_entries[i]);
            EmitMember(i);
        }
    }

    /// <summary>One member's instructions, its exits and side exits.</summary>
    private void EmitMember(int i)
    {
        _seg = i;
        _block = i == 0 ? _head : _region!.Blocks[i];
        _count = i == 0 ? _headCount : _region!.Count[i];
        _opsBase = _region?.OpsBase[i] ?? 0;
        _sideExits = new Label?[_count];
        _flagsDead = DeadFlagWrites(_block.Fast, _count);
        _fuseIndex = -1; // the operands in locals belong to the member before
        bool branched = false;
        for (int k = 0; k < _count; k++)
        {
            _current = k;
            ref FastOp f = ref _block.Fast[k];
            ulong next = _block.Instructions[k].NextIP;
            bool last = k == _count - 1;
            if (EmitBranch(ref f, k, next, last))
            {
                branched = true; // a branch is always its block's last instruction
                break;
            }
            bool stored = EmitOp(ref f, k, next);
            if (stored && !last)
            {
                // One of our stores hit a page holding code: leave so the caller checks the block's generation.
                Label go = _il.DefineLabel();
                _il.Emit(OpCodes.Ldarg_0);
                _il.Emit(OpCodes.Ldfld, WroteCodeField);
                _il.Emit(OpCodes.Brfalse, go);
                EmitExit(next, k + 1);
                _il.MarkLabel(go);
            }
        }
        if (!branched) EmitEdge(_block.Instructions[_count - 1].NextIP, _count);
        EmitSideExits();
    }

    /// <summary>Registers an op reads or writes (loaded into locals at entry).</summary>
    private static int Uses(ref FastOp f)
    {
        int m = 0;
        if (f.Dst != FastOp.NoReg && f.Dst < 16) m |= 1 << f.Dst;
        if (f.Src != FastOp.NoReg && f.Src < 16) m |= 1 << f.Src;
        if (f.Base != FastOp.NoReg && f.Base < 16) m |= 1 << f.Base;
        if (f.Index != FastOp.NoReg && f.Index < 16) m |= 1 << f.Index;
        switch (f.Kind)
        {
            case FastKind.Push: case FastKind.Pop: case FastKind.Call: case FastKind.Ret: m |= 1 << 4; break;
            case FastKind.ShiftR: case FastKind.ShiftM: m |= 1 << 1; break;
            case FastKind.MulR: case FastKind.MulM: case FastKind.DivR: case FastKind.DivM: m |= 1 | 1 << 2; break;
        }
        return m;
    }

    // ---- registers ----

    private void Reload(int mask)
    {
        for (int r = 0; r < 16; r++)
        {
            if ((mask & _used & (1 << r)) == 0) continue;
            GprAddress(r);
            _il.Emit(OpCodes.Ldind_I8);
            _il.Emit(OpCodes.Stloc, _r[r]);
        }
    }

    private void Flush()
    {
        if (!_inLocals) return;
        for (int r = 0; r < 16; r++)
        {
            if ((_dirty & (1 << r)) == 0) continue;
            GprAddress(r);
            _il.Emit(OpCodes.Ldloc, _r[r]);
            _il.Emit(OpCodes.Stind_I8);
        }
    }

    private void GprAddress(int r)
    {
        _il.Emit(OpCodes.Ldloc, _gpr);
        if (r == 0) return;
        _il.Emit(OpCodes.Ldc_I4, r * 8);
        _il.Emit(OpCodes.Add);
    }

    /// <summary>Pushes the whole 64-bit register.</summary>
    private void LdReg(int reg)
    {
        if (_inLocals)
        {
            _il.Emit(OpCodes.Ldloc, _r[reg]);
            return;
        }
        GprAddress(reg);
        _il.Emit(OpCodes.Ldind_I8);
    }

    /// <summary>Sets the whole 64-bit register to <paramref name="value"/>.</summary>
    private void StReg(int reg, LocalBuilder value)
    {
        if (_inLocals)
        {
            _il.Emit(OpCodes.Ldloc, value);
            _il.Emit(OpCodes.Stloc, _r[reg]);
            _dirty |= 1 << reg;
            return;
        }
        GprAddress(reg);
        _il.Emit(OpCodes.Ldloc, value);
        _il.Emit(OpCodes.Stind_I8);
    }

    /// <summary>Pushes the register's value of <paramref name="size"/> bytes (zero-extended).</summary>
    private void Read(byte reg, byte shift, int size)
    {
        LdReg(reg);
        if (size == 8) return;
        if (shift != 0)
        {
            _il.Emit(OpCodes.Ldc_I4, (int)shift);
            _il.Emit(OpCodes.Shr_Un);
        }
        ZeroExtend(size);
    }

    private void ZeroExtend(int size)
    {
        switch (size)
        {
            case 4: _il.Emit(OpCodes.Conv_U4); _il.Emit(OpCodes.Conv_U8); break;
            case 2: _il.Emit(OpCodes.Conv_U2); _il.Emit(OpCodes.Conv_U8); break;
            case 1: _il.Emit(OpCodes.Conv_U1); _il.Emit(OpCodes.Conv_U8); break;
        }
    }

    /// <summary>Writes <paramref name="value"/> to the register with the interpreter's SetGpr rules (32-bit zero-extends).</summary>
    private void Write(byte reg, byte shift, int size, LocalBuilder value)
    {
        if (!_inLocals) GprAddress(reg); // the address goes under the value for stind
        switch (size)
        {
            case 8:
                _il.Emit(OpCodes.Ldloc, value);
                break;
            case 4:
                _il.Emit(OpCodes.Ldloc, value);
                ZeroExtend(4);
                break;
            default:
                LdReg(reg);
                _il.Emit(OpCodes.Ldc_I8, (long)~((size == 2 ? 0xFFFFUL : 0xFFUL) << shift));
                _il.Emit(OpCodes.And);
                _il.Emit(OpCodes.Ldloc, value);
                ZeroExtend(size);
                if (shift != 0)
                {
                    _il.Emit(OpCodes.Ldc_I4, (int)shift);
                    _il.Emit(OpCodes.Shl);
                }
                _il.Emit(OpCodes.Or);
                break;
        }
        if (_inLocals)
        {
            _il.Emit(OpCodes.Stloc, _r[reg]);
            _dirty |= 1 << reg;
        }
        else _il.Emit(OpCodes.Stind_I8);
    }

    private void Mask(int size)
    {
        if (size < 8) ZeroExtend(size);
    }

    // ---- exits ----

    /// <summary>Writes the registers back, sets RIP and returns <paramref name="retired"/>.</summary>
    private void EmitExit(ulong rip, int retired)
    {
        Flush();
        SetRip(rip);
        _il.Emit(OpCodes.Ldc_I4, retired);
        _il.Emit(OpCodes.Ret);
    }

    /// <summary>A taken branch to <paramref name="target"/>: back to the top if it is this block's start and the
    /// dispatcher would run the block again at once (<see cref="Cpu.IlLoopBack"/>), else the exit.</summary>
    private void EmitBranchExit(ulong target, int retired)
    {
        if (_loops && _seg == 0 && target == _block.LinearStart && retired == _block.Count)
        {
            _il.Emit(OpCodes.Ldarg_0);
            _il.Emit(OpCodes.Ldc_I4, retired);
            _il.Emit(OpCodes.Ldc_I8, (long)_block.LinearStart);
            _il.Emit(OpCodes.Ldc_I8, (long)_block.PhysStart);
            _il.Emit(OpCodes.Ldc_I4, _block.Generation);
            _il.Emit(OpCodes.Call, LoopBackHelper);
            _il.Emit(OpCodes.Brtrue, _top);
        }
        EmitEdge(target, retired);
    }

    /// <summary>
    /// The end of the member (all of it retired) going to <paramref name="target"/>: on into the member that starts there
    /// if the region has one and <see cref="Cpu.IlRegionStep"/> allows it, else the exit.
    /// </summary>
    private void EmitEdge(ulong target, int retired)
    {
        int to = _region is not null && retired == _block.Count ? _region.IndexOf(target) : -1;
        // The head's turn back to itself was offered to IlLoopBack already.
        if (to >= 0 && (to != _seg || (_seg != 0 && _selfEdges)))
        {
            _il.Emit(OpCodes.Ldarg_0);
            _il.Emit(OpCodes.Ldc_I4, _seg);
            _il.Emit(OpCodes.Ldc_I4, to);
            _il.Emit(OpCodes.Call, RegionStepHelper);
            _il.Emit(OpCodes.Brtrue, _entries[to]);
        }
        EmitExit(target, retired);
    }

    private void SetRip(ulong rip)
    {
        _il.Emit(OpCodes.Ldloc, _state);
        _il.Emit(OpCodes.Ldc_I8, (long)rip);
        _il.Emit(OpCodes.Stfld, RipField);
    }

    /// <summary>Instruction <paramref name="k"/> failed (fault pending): registers back, return ~k.</summary>
    private void EmitFaultExit(int k)
    {
        Flush();
        _il.Emit(OpCodes.Ldc_I4, ~k);
        _il.Emit(OpCodes.Ret);
    }

    /// <summary>Branches to a fault exit when the bool on the stack is false.</summary>
    private void FaultIfFalse(int k)
    {
        Label ok = _il.DefineLabel();
        _il.Emit(OpCodes.Brtrue, ok);
        EmitFaultExit(k);
        _il.MarkLabel(ok);
    }

    // ---- lazy flags ----

    private void SetLazyField(FieldInfo field, LocalBuilder? value, long constant = 0)
    {
        _il.Emit(OpCodes.Ldloc, _lazy);
        if (value is not null) _il.Emit(OpCodes.Ldloc, value);
        else _il.Emit(OpCodes.Ldc_I8, constant);
        _il.Emit(OpCodes.Stfld, field);
    }

    /// <summary>LazyFlags.Set(op, bits, _d, _s2, _res, aux): the same record the interpreter leaves.</summary>
    private void SetLazy(FlagOp op, int bits, LocalBuilder? aux)
    {
        _il.Emit(OpCodes.Ldloc, _lazy);
        _il.Emit(OpCodes.Ldc_I4, (int)op);
        _il.Emit(OpCodes.Stfld, LazyOp);
        _il.Emit(OpCodes.Ldloc, _lazy);
        _il.Emit(OpCodes.Ldc_I4, bits);
        _il.Emit(OpCodes.Stfld, LazyBits);
        SetLazyField(LazyDst, _d);
        SetLazyField(LazySrc, _s2);
        SetLazyField(LazyResult, _res);
        SetLazyField(LazyAux, aux);
    }

    private void Cond(byte cc)
    {
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Ldc_I4, (int)cc);
        _il.Emit(OpCodes.Call, CondHelper);
    }
}
