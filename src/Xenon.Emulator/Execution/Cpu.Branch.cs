using Iced.Intel;
using Xenon.Emulator.State;

namespace Xenon.Emulator.Execution;

/// <summary>Near and far JMP/CALL/RET, Jcc, LOOP/JCXZ.</summary>
public sealed partial class Cpu
{
    /// <summary>Per Iced Code: the counter width (2, 4, 8) of LOOPcc/JrCXZ forms, read from the Code names once.</summary>
    private static readonly byte[] CounterSize = BuildCounterSizes();

    private static byte[] BuildCounterSizes()
    {
        var t = new byte[Enum.GetValues<Code>().Length];
        foreach (Code c in Enum.GetValues<Code>())
        {
            string n = c.ToString();
            if (n.StartsWith("Loop", StringComparison.Ordinal) || n.StartsWith("J", StringComparison.Ordinal) && n.Contains("cxz", StringComparison.Ordinal))
            {
                if (n.EndsWith("_RCX", StringComparison.Ordinal) || n.StartsWith("Jrcxz", StringComparison.Ordinal)) t[(int)c] = 8;
                else if (n.EndsWith("_ECX", StringComparison.Ordinal) || n.StartsWith("Jecxz", StringComparison.Ordinal)) t[(int)c] = 4;
                else t[(int)c] = 2;
            }
        }
        return t;
    }

    private bool SetRipChecked(ulong target, int opSize)
    {
        target = opSize switch { 2 => (ushort)target, 4 => (uint)target, _ => target };
        if (_s.Is64BitCode ? !IsCanonical(target) : target > _s.Segments[Seg.Cs].Limit && _s.ProtectedMode) return Fault(Vector.GP, 0);
        _s.Rip = target;
        return true;
    }

    private int BranchOpSize(in Instruction i) => i.Op0Kind switch
    {
        OpKind.NearBranch16 => 2,
        OpKind.NearBranch32 => 4,
        OpKind.NearBranch64 => 8,
        OpKind.Register => RegSize(i.Op0Register),
        _ => i.MemorySize.GetSize(),
    };

    private bool ExecJmp(in Instruction i)
    {
        switch (i.Op0Kind)
        {
            case OpKind.NearBranch16:
            case OpKind.NearBranch32:
            case OpKind.NearBranch64:
                return SetRipChecked(i.NearBranchTarget, BranchOpSize(i));
            case OpKind.FarBranch16:
            case OpKind.FarBranch32:
                return FarJump(i.FarBranchSelector, i.Op0Kind == OpKind.FarBranch16 ? i.FarBranch16 : i.FarBranch32, callSize: 0);
        }
        if (i.Code is Code.Jmp_m1616 or Code.Jmp_m1632 or Code.Jmp_m1664)
        {
            if (!ReadFarPointer(i, out ushort sel, out ulong off, out _)) return false;
            return FarJump(sel, off, callSize: 0);
        }
        if (!ReadOp(i, 0, out ulong target)) return false;
        return SetRipChecked(target, BranchOpSize(i));
    }

    private bool ReadFarPointer(in Instruction i, out ushort selector, out ulong offset, out int size)
    {
        selector = 0;
        offset = 0;
        size = i.Code switch { Code.Jmp_m1616 or Code.Call_m1616 => 2, Code.Jmp_m1632 or Code.Call_m1632 => 4, _ => 8 };
        if (!MemLinear(i, out ulong lin) || !ReadLinear(lin, size, out offset) || !ReadLinear(lin + (ulong)size, 2, out ulong sel))
            return false;
        selector = (ushort)sel;
        return true;
    }

    /// <summary>Far JMP (callSize 0) or far CALL (pushes CS and the return offset with callSize bytes each).</summary>
    private bool FarJump(ushort selector, ulong offset, int callSize)
    {
        if (!LoadCsForFarTransfer(selector, out SegmentRegister cs)) return false;
        bool to64 = _s.LongModeActive && cs.Long;
        if (to64 ? !IsCanonical(offset) : _s.ProtectedMode && offset > cs.Limit) return Fault(Vector.GP, 0);
        if (callSize != 0)
        {
            ulong sp = _s.Gpr[4];
            ulong mask = StackMask;
            ulong a1 = (sp - (ulong)callSize) & mask, a2 = (sp - 2UL * (ulong)callSize) & mask;
            if (!WriteMem(Seg.Ss, a1, callSize, _s.Segments[Seg.Cs].Selector) || !WriteMem(Seg.Ss, a2, callSize, _next)) return false;
            SetSp(a2);
        }
        CommitCs(cs);
        _s.Rip = to64 ? offset : (uint)offset;
        _endBlock = true;
        return true;
    }

    private bool ExecJcc(in Instruction i)
    {
        if (Cond(i.ConditionCode)) return SetRipChecked(i.NearBranchTarget, BranchOpSize(i));
        return true;
    }

    private bool ExecCall(in Instruction i)
    {
        switch (i.Op0Kind)
        {
            case OpKind.FarBranch16:
                return FarJump(i.FarBranchSelector, i.FarBranch16, 2);
            case OpKind.FarBranch32:
                return FarJump(i.FarBranchSelector, i.FarBranch32, 4);
        }
        if (i.Code is Code.Call_m1616 or Code.Call_m1632 or Code.Call_m1664)
        {
            if (!ReadFarPointer(i, out ushort sel, out ulong off, out int size)) return false;
            return FarJump(sel, off, size);
        }
        int opSize = BranchOpSize(i);
        ulong target;
        if (i.Op0Kind is OpKind.NearBranch16 or OpKind.NearBranch32 or OpKind.NearBranch64) target = i.NearBranchTarget;
        else if (!ReadOp(i, 0, out target)) return false;
        ulong sp = (_s.Gpr[4] - (ulong)opSize) & StackMask;
        if (!WriteMem(Seg.Ss, sp, opSize, _next)) return false;
        ulong oldSp = _s.Gpr[4];
        SetSp(sp);
        if (!SetRipChecked(target, opSize))
        {
            _s.Gpr[4] = oldSp;
            return false;
        }
        return true;
    }

    private bool ExecRet(in Instruction i)
    {
        int size = i.Code switch
        {
            Code.Retnw or Code.Retnw_imm16 => 2,
            Code.Retnd or Code.Retnd_imm16 => 4,
            _ => 8,
        };
        ulong sp = _s.Gpr[4] & StackMask;
        if (!ReadMem(Seg.Ss, sp, size, out ulong target)) return false;
        ulong oldSp = _s.Gpr[4];
        SetSp(sp + (ulong)size + (i.OpCount > 0 ? i.Immediate16 : 0UL));
        if (!SetRipChecked(target, size))
        {
            _s.Gpr[4] = oldSp;
            return false;
        }
        return true;
    }

    private bool ExecRetf(in Instruction i)
    {
        int size = i.Code switch
        {
            Code.Retfw or Code.Retfw_imm16 => 2,
            Code.Retfd or Code.Retfd_imm16 => 4,
            _ => 8,
        };
        ulong imm = i.OpCount > 0 ? i.Immediate16 : 0UL;
        ulong sp = _s.Gpr[4] & StackMask;
        if (!PopPeek(sp, size, 0, out ulong offset) || !PopPeek(sp, size, 1, out ulong sel)) return false;
        if (!_s.ProtectedMode)
        {
            var rcs = _s.Segments[Seg.Cs];
            rcs.Selector = (ushort)sel;
            rcs.Base = (ulong)(ushort)sel << 4;
            CommitCs(rcs);
            _s.Rip = size == 2 ? (ushort)offset : (uint)offset;
            SetSp(sp + (ulong)(2 * size) + imm);
            return true;
        }
        int cpl = _s.Cpl;
        int rpl = (int)sel & 3;
        if (rpl < cpl) return Fault(Vector.GP, (uint)(sel & ~3UL));
        if (!FetchCodeSegment((ushort)sel, out SegmentRegister cs, out _, out _)) return false;
        bool conforming = (cs.Type & 4) != 0;
        if (conforming ? cs.Dpl > rpl : cs.Dpl != rpl) return Fault(Vector.GP, (uint)(sel & ~3UL));
        bool to64 = _s.LongModeActive && cs.Long;
        if (to64 ? !IsCanonical(offset) : offset > cs.Limit) return Fault(Vector.GP, 0);
        cs.Selector = (ushort)sel;
        if (rpl == cpl)
        {
            CommitCs(cs);
            _s.Rip = to64 ? offset : (uint)offset;
            SetSp(sp + (ulong)(2 * size) + imm);
            _endBlock = true;
            return true;
        }
        // Return to an outer level: SS:SP follow the return address.
        ulong sp2 = sp + (ulong)(2 * size) + imm;
        if (!PopPeek(sp2, size, 0, out ulong newSp) || !PopPeek(sp2, size, 1, out ulong ssSel)) return false;
        if (!ReadDescriptor((ushort)ssSel, out ulong d, out _)) return false;
        var ss = SegmentRegister.FromDescriptor((ushort)ssSel, d);
        if ((int)(ssSel & 3) != rpl || ss.Dpl != rpl || ss.IsSystem || (ss.Type & 0xA) != 2) return Fault(Vector.GP, (uint)(ssSel & ~3UL));
        if (!ss.Present) return Fault(Vector.SS, (uint)(ssSel & ~3UL));
        CommitCs(cs);
        _s.Rip = to64 ? offset : (uint)offset;
        _s.Segments[Seg.Ss] = ss;
        _s.Gpr[4] = newSp + imm;
        if (!ss.DefaultBig && !to64) _s.Gpr[4] = (ushort)(newSp + imm);
        NullifyDataSegments(rpl);
        _endBlock = true;
        return true;
    }

    private bool ExecLoop(in Instruction i)
    {
        int size = CounterSize[(int)i.Code];
        ulong mask = SizeMask(size);
        ulong c = _s.Gpr[1] & mask;
        bool take;
        if (i.Mnemonic is Mnemonic.Jcxz or Mnemonic.Jecxz or Mnemonic.Jrcxz) take = c == 0;
        else
        {
            c = (c - 1) & mask;
            _s.Gpr[1] = size == 8 ? c : size == 4 ? c : (_s.Gpr[1] & ~0xFFFFUL) | c;
            take = c != 0 && i.Mnemonic switch
            {
                Mnemonic.Loope => Cond(ConditionCode.e),
                Mnemonic.Loopne => Cond(ConditionCode.ne),
                _ => true,
            };
        }
        return !take || SetRipChecked(i.NearBranchTarget, BranchOpSize(i));
    }
}
