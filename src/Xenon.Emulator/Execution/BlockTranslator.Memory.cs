using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using Xenon.Emulator.Memory;
using Xenon.Emulator.State;

namespace Xenon.Emulator.Execution;

/// <summary>
/// Memory operands of a translation. By default (<see cref="Cpu.IlEmittedTlb"/>) each access is the TLB probe written
/// out as plain IL: tag, permission, in-page bounds and host pointer, then the load or store through that pointer. What
/// the probe does not cover (a miss, the first write to a clean page, MMIO, an access across pages) leaves the method
/// before the instruction, which the interpreter then runs (and whose slow access fills the entry for the next run).
/// The JIT then imports no helper bodies and keeps no address-taken value local: a translation with memory accesses
/// used to cost it five times one without.
/// </summary>
internal sealed partial class BlockTranslator
{
    private static readonly FieldInfo MmuField = typeof(Cpu).GetField("_mmu", Any)!;
    private static readonly FieldInfo TlbField = typeof(Mmu).GetField(nameof(Mmu.Tlb))!;
    private static readonly FieldInfo TlbEntries = typeof(Tlb).GetField("_entries", Any)!;
    private static readonly FieldInfo EntryTag = typeof(TlbEntry).GetField(nameof(TlbEntry.Tag))!;
    private static readonly FieldInfo EntryPhysPage = typeof(TlbEntry).GetField(nameof(TlbEntry.PhysPage))!;
    private static readonly FieldInfo EntryAllowed = typeof(TlbEntry).GetField(nameof(TlbEntry.Allowed))!;
    private static readonly FieldInfo EntryHost = typeof(TlbEntry).GetField(nameof(TlbEntry.Host))!;
    private static readonly FieldInfo SegmentsField = typeof(CpuState).GetField(nameof(CpuState.Segments))!;
    private static readonly FieldInfo SegmentElement = typeof(SegmentFile).GetField("_element", Any)!;
    private static readonly FieldInfo SegmentBase = typeof(SegmentRegister).GetField(nameof(SegmentRegister.Base))!;
    private static readonly MethodInfo UserAccessGetter = typeof(Cpu).GetProperty("UserAccess", Any)!.GetMethod!;
    private static readonly MethodInfo AfterStoreHelper = Helper(nameof(Cpu.IlAfterStore));
    private static readonly int EntrySize = Unsafe.SizeOf<TlbEntry>();
    private static readonly int SegmentSize = Unsafe.SizeOf<SegmentRegister>();

    /// <summary>Method entry, when the translation probes the TLB itself: the entry array and the permission masks of this CPL.</summary>
    private void EmitMemoryEntry()
    {
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Ldfld, MmuField);
        _il.Emit(OpCodes.Ldfld, TlbField);
        _il.Emit(OpCodes.Ldfld, TlbEntries);
        _il.Emit(OpCodes.Ldc_I4_0);
        _il.Emit(OpCodes.Ldelema, typeof(TlbEntry));
        _il.Emit(OpCodes.Stloc, _tlb!);
        // TlbEntry.Allowed: bit (kind + 3 x user), so read is 1 or 8 and write 2 or 16 (CPL cannot change in a translation),
        // each with HostKnown.
        _il.Emit(OpCodes.Ldc_I4_1);
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Call, UserAccessGetter);
        _il.Emit(OpCodes.Ldc_I4_3);
        _il.Emit(OpCodes.Mul);
        _il.Emit(OpCodes.Shl);
        _il.Emit(OpCodes.Dup);
        _il.Emit(OpCodes.Ldc_I4, (int)TlbEntry.HostKnown);
        _il.Emit(OpCodes.Or);
        _il.Emit(OpCodes.Stloc, _readMask!);
        _il.Emit(OpCodes.Ldc_I4_1);
        _il.Emit(OpCodes.Shl);
        _il.Emit(OpCodes.Ldc_I4, (int)TlbEntry.HostKnown);
        _il.Emit(OpCodes.Or);
        _il.Emit(OpCodes.Stloc, _writeMask!);
    }

    private void EffectiveAddress(ref FastOp f)
    {
        _il.Emit(OpCodes.Ldc_I8, (long)f.Disp);
        if (f.Base != FastOp.NoReg)
        {
            LdReg(f.Base);
            _il.Emit(OpCodes.Add);
        }
        if (f.Index != FastOp.NoReg)
        {
            LdReg(f.Index);
            if (f.Scale != 1)
            {
                _il.Emit(OpCodes.Ldc_I4, System.Numerics.BitOperations.Log2(f.Scale));
                _il.Emit(OpCodes.Shl);
            }
            _il.Emit(OpCodes.Add);
        }
        if (f.AddrSize == 4) ZeroExtend(4);
        _il.Emit(OpCodes.Stloc, _ea);
    }

    /// <summary>A memory source operand (ALU r, m; IMUL r, m): its address, then its <paramref name="size"/> bytes, masked, into _s2.</summary>
    private void LoadSource(ref FastOp f, int size, int k)
    {
        EffectiveAddress(ref f);
        Load(f.Seg, size, k);
        _il.Emit(OpCodes.Ldloc, _val);
        Mask(size);
        _il.Emit(OpCodes.Stloc, _s2);
    }

    /// <summary>Loads <paramref name="size"/> bytes at seg:_ea into _val (zero-extended), or leaves for the interpreter at instruction <paramref name="k"/>.</summary>
    private void Load(int seg, int size, int k)
    {
        if (!_emittedTlb)
        {
            CalledAccess(seg, size, k, isStore: false);
            return;
        }
        Label miss = SideExit(k);
        Probe(seg, size, miss, write: false);
        HostAddress();
        if (size > 1) _il.Emit(OpCodes.Unaligned, (byte)1);
        switch (size)
        {
            case 1: _il.Emit(OpCodes.Ldind_U1); break;
            case 2: _il.Emit(OpCodes.Ldind_U2); break;
            case 4: _il.Emit(OpCodes.Ldind_U4); break;
            default: _il.Emit(OpCodes.Ldind_I8); break;
        }
        if (size < 8) _il.Emit(OpCodes.Conv_U8);
        _il.Emit(OpCodes.Stloc, _val);
    }

    /// <summary>Stores _val's low <paramref name="size"/> bytes at seg:_ea, like <see cref="Load"/>.</summary>
    private void Store(int seg, int size, int k)
    {
        if (!_emittedTlb)
        {
            CalledAccess(seg, size, k, isStore: true);
            return;
        }
        Label miss = SideExit(k);
        Probe(seg, size, miss, write: true);
        HostAddress();
        _il.Emit(OpCodes.Ldloc, _val);
        if (size < 8) _il.Emit(OpCodes.Conv_U4);
        if (size > 1) _il.Emit(OpCodes.Unaligned, (byte)1);
        switch (size)
        {
            case 1: _il.Emit(OpCodes.Stind_I1); break;
            case 2: _il.Emit(OpCodes.Stind_I2); break;
            case 4: _il.Emit(OpCodes.Stind_I4); break;
            default: _il.Emit(OpCodes.Stind_I8); break;
        }
        // The code-page check every RAM store makes (self-modifying code).
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Ldloc, _entry!);
        _il.Emit(OpCodes.Ldfld, EntryPhysPage);
        _il.Emit(OpCodes.Call, AfterStoreHelper);
    }

    /// <summary>
    /// The TLB probe for seg:_ea: leaves the entry in _entry and the page offset in _off, or branches to
    /// <paramref name="miss"/> unless the entry maps the page with the permission this access needs and a host pointer
    /// (<see cref="TlbEntry.HostKnown"/>), and the access stays inside the page. This is <see cref="Cpu"/>'s TryReadHost/TryWriteHost
    /// (minus CR0.PG, always set in 64-bit code): the in-page check here is the bounds check of the pointer use after it.
    /// </summary>
    private void Probe(int seg, int size, Label miss, bool write)
    {
        LocalBuilder lin = _ea;
        if (seg >= Seg.Fs)
        {
            _il.Emit(OpCodes.Ldloc, _ea);
            _il.Emit(OpCodes.Ldloc, _state);
            _il.Emit(OpCodes.Ldflda, SegmentsField);
            _il.Emit(OpCodes.Ldflda, SegmentElement);
            _il.Emit(OpCodes.Ldc_I4, seg * SegmentSize);
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Ldfld, SegmentBase);
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Stloc, _lin!);
            lin = _lin!;
        }
        // &entries[(lin >> 12) & 4095]
        _il.Emit(OpCodes.Ldloc, _tlb!);
        _il.Emit(OpCodes.Ldloc, lin);
        if (System.Numerics.BitOperations.IsPow2(EntrySize))
        {
            int shift = System.Numerics.BitOperations.Log2((uint)EntrySize);
            _il.Emit(OpCodes.Ldc_I4, 12 - shift);
            _il.Emit(OpCodes.Shr_Un);
            _il.Emit(OpCodes.Conv_I4);
            _il.Emit(OpCodes.Ldc_I4, 0xFFF << shift);
            _il.Emit(OpCodes.And);
        }
        else
        {
            _il.Emit(OpCodes.Ldc_I4, 12);
            _il.Emit(OpCodes.Shr_Un);
            _il.Emit(OpCodes.Conv_I4);
            _il.Emit(OpCodes.Ldc_I4, 0xFFF);
            _il.Emit(OpCodes.And);
            _il.Emit(OpCodes.Ldc_I4, EntrySize);
            _il.Emit(OpCodes.Mul);
        }
        _il.Emit(OpCodes.Add);
        _il.Emit(OpCodes.Stloc, _entry!);
        // Tag == page + 1
        _il.Emit(OpCodes.Ldloc, _entry!);
        _il.Emit(OpCodes.Ldfld, EntryTag);
        _il.Emit(OpCodes.Ldloc, lin);
        _il.Emit(OpCodes.Ldc_I4, 12);
        _il.Emit(OpCodes.Shr_Un);
        _il.Emit(OpCodes.Ldc_I4_1);
        _il.Emit(OpCodes.Conv_U8);
        _il.Emit(OpCodes.Add);
        _il.Emit(OpCodes.Bne_Un, miss);
        // the permission (a write only once the walk set D) and a known host page (RAM)
        LocalBuilder mask = write ? _writeMask! : _readMask!;
        _il.Emit(OpCodes.Ldloc, _entry!);
        _il.Emit(OpCodes.Ldfld, EntryAllowed);
        _il.Emit(OpCodes.Ldloc, mask);
        _il.Emit(OpCodes.And);
        _il.Emit(OpCodes.Ldloc, mask);
        _il.Emit(OpCodes.Bne_Un, miss);
        // inside the page: offset <= 4096 - size
        _il.Emit(OpCodes.Ldloc, lin);
        _il.Emit(OpCodes.Conv_I4);
        _il.Emit(OpCodes.Ldc_I4, 0xFFF);
        _il.Emit(OpCodes.And);
        _il.Emit(OpCodes.Stloc, _off!);
        if (size > 1)
        {
            _il.Emit(OpCodes.Ldloc, _off!);
            _il.Emit(OpCodes.Ldc_I4, 0x1000 - size);
            _il.Emit(OpCodes.Bgt, miss);
        }
    }

    /// <summary>The probed entry's host page plus the offset: the pointer the in-page check above bounds.</summary>
    private void HostAddress()
    {
        _il.Emit(OpCodes.Ldloc, _entry!);
        _il.Emit(OpCodes.Ldfld, EntryHost);
        _il.Emit(OpCodes.Ldloc, _off!);
        _il.Emit(OpCodes.Add);
    }

    /// <summary>The label of the exit before instruction <paramref name="k"/> (RIP at it, k retired): emitted once at the end.</summary>
    private Label SideExit(int k)
    {
        if (_sideExits[k] is { } l) return l;
        Label label = _il.DefineLabel();
        _sideExits[k] = label;
        return label;
    }

    /// <summary>The side exits, after the method's body: the interpreter continues at the instruction (nothing of it ran).</summary>
    private void EmitSideExits()
    {
        for (int k = 0; k < _count; k++)
        {
            if (_sideExits[k] is not { } label) continue;
            _il.MarkLabel(label);
            // Registers in locals: any of them may be newer than the state on the way here.
            _dirty = _used;
            EmitExit(k == 0 ? _block.LinearStart : _block.Instructions[k - 1].NextIP, k);
        }
    }

    /// <summary>
    /// The access through helper calls (<see cref="Cpu.IlEmittedTlb"/> off): the host-pointer helper (inlined or called,
    /// <see cref="Cpu.IlInlineHostAccess"/>), then the full path after a write-back (it may reach MMIO); a fault returns ~k.
    /// </summary>
    private void CalledAccess(int seg, int size, int k, bool isStore)
    {
        Label done = _il.DefineLabel();
        EmitAccess(isStore ? (_inlineHost ? StoreFast : StoreHost) : (_inlineHost ? LoadFast : LoadHost), seg, size, isStore);
        _il.Emit(OpCodes.Brtrue, done);
        Flush(); // the slow path may reach MMIO: the machine sees the registers as they are
        EmitAccess(isStore ? StoreSlow : LoadSlow, seg, size, isStore);
        _il.Emit(OpCodes.Brtrue, done);
        _il.Emit(OpCodes.Ldc_I4, ~k);
        _il.Emit(OpCodes.Ret);
        _il.MarkLabel(done);
    }

    private void EmitAccess(MethodInfo m, int seg, int size, bool isStore)
    {
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Ldc_I4, seg);
        _il.Emit(OpCodes.Ldloc, _ea);
        _il.Emit(OpCodes.Ldc_I4, size);
        if (isStore) _il.Emit(OpCodes.Ldloc, _val);
        else _il.Emit(OpCodes.Ldloca, _val);
        _il.Emit(OpCodes.Call, m);
    }
}
