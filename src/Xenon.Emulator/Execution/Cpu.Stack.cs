using Iced.Intel;
using Xenon.Emulator.State;

namespace Xenon.Emulator.Execution;

/// <summary>The stack: address size from SS.B (or 64-bit mode), PUSH/POP and friends.</summary>
public sealed partial class Cpu
{
    private ulong StackMask => _s.Is64BitCode ? ulong.MaxValue : _s.Segments[Seg.Ss].DefaultBig ? 0xFFFFFFFF : 0xFFFF;

    internal void SetSp(ulong value)
    {
        ulong m = StackMask;
        _s.Gpr[4] = m == ulong.MaxValue ? value : m == 0xFFFFFFFF ? (uint)value : (_s.Gpr[4] & ~0xFFFFUL) | (ushort)value;
    }

    /// <summary>Reads the stack slot <paramref name="index"/> items above <paramref name="sp"/> without moving SP.</summary>
    internal bool PopPeek(ulong sp, int size, int index, out ulong value) =>
        ReadMem(Seg.Ss, (sp + (ulong)(index * size)) & StackMask, size, out value);

    internal bool Push(ulong value, int size)
    {
        ulong sp = (_s.Gpr[4] - (ulong)size) & StackMask;
        if (!WriteMem(Seg.Ss, sp, size, value)) return false;
        SetSp(sp);
        return true;
    }

    internal bool Pop(int size, out ulong value)
    {
        ulong sp = _s.Gpr[4] & StackMask;
        if (!ReadMem(Seg.Ss, sp, size, out value)) return false;
        SetSp(sp + (ulong)size);
        return true;
    }

    private bool ExecPush(in Instruction i)
    {
        int size = Math.Abs(i.StackPointerIncrement);
        ulong v;
        if (i.Op0Kind == OpKind.Register && i.Op0Register >= Register.ES && i.Op0Register <= Register.GS)
            v = _s.Segments[i.Op0Register - Register.ES].Selector;
        else if (!ReadOp(i, 0, out v)) return false;
        return Push(v, size);
    }

    private bool ExecPop(in Instruction i)
    {
        int size = Math.Abs(i.StackPointerIncrement);
        ulong sp = _s.Gpr[4] & StackMask;
        if (!ReadMem(Seg.Ss, sp, size, out ulong v)) return false;
        if (i.Op0Kind == OpKind.Register)
        {
            Register r = i.Op0Register;
            if (r >= Register.ES && r <= Register.GS)
            {
                if (!LoadSegment(r - Register.ES, (ushort)v)) return false;
                SetSp(sp + (ulong)size);
                if (r == Register.SS) _s.InterruptShadow = true;
                return true;
            }
            SetSp(sp + (ulong)size);
            WriteReg(r, v); // POP RSP loads the popped value
            return true;
        }
        // POP to memory: the address is computed with the incremented RSP (SDM POP).
        ulong oldRsp = _s.Gpr[4];
        SetSp(sp + (ulong)size);
        if (!MemLinear(i, out ulong lin) || !WriteLinear(lin, size, v))
        {
            _s.Gpr[4] = oldRsp;
            return false;
        }
        return true;
    }

    private bool ExecPushf(in Instruction i)
    {
        int size = Math.Abs(i.StackPointerIncrement);
        return Push(GetRflags() & ~(RFlags.VM | RFlags.RF), size);
    }

    private bool ExecPopf(in Instruction i)
    {
        int size = Math.Abs(i.StackPointerIncrement);
        if (!PopPeek(_s.Gpr[4] & StackMask, size, 0, out ulong v)) return false;
        int cpl = _s.Cpl;
        int iopl = (int)(_s.FlagsControl >> 12) & 3;
        ulong writable = RFlags.Writable & ~RFlags.RF;
        if (cpl > 0) writable &= ~RFlags.IoplMask;
        if (cpl > iopl) writable &= ~RFlags.IF;
        if (size == 2) writable &= 0xFFFF;
        SetSp((_s.Gpr[4] & StackMask) + (ulong)size);
        SetRflags((GetRflags() & ~writable) | (v & writable));
        _endBlock = true;
        return true;
    }

    private bool ExecLeave(in Instruction i)
    {
        int size = i.Code switch { Code.Leavew => 2, Code.Leaved => 4, _ => 8 };
        ulong bp = _s.Gpr[5] & StackMask;
        if (!ReadMem(Seg.Ss, bp, size, out ulong v)) return false;
        SetSp(bp + (ulong)size);
        if (size == 8) _s.Gpr[5] = v;
        else if (size == 4) _s.Gpr[5] = (uint)v;
        else _s.Gpr[5] = (_s.Gpr[5] & ~0xFFFFUL) | (ushort)v;
        return true;
    }

    private bool ExecEnter(in Instruction i)
    {
        int size = i.Code switch { Code.Enterw_imm16_imm8 => 2, Code.Enterd_imm16_imm8 => 4, _ => 8 };
        ulong alloc = i.Immediate16;
        int level = i.Immediate8_2nd & 31;
        ulong mask = StackMask;
        ulong sp = (_s.Gpr[4] - (ulong)size) & mask;
        if (!WriteMem(Seg.Ss, sp, size, _s.Gpr[5])) return false;
        ulong frame = sp;
        ulong bp = _s.Gpr[5];
        for (int k = 1; k < level; k++)
        {
            bp = (bp - (ulong)size) & mask;
            if (!ReadMem(Seg.Ss, bp, size, out ulong v)) return false;
            sp = (sp - (ulong)size) & mask;
            if (!WriteMem(Seg.Ss, sp, size, v)) return false;
        }
        if (level > 0)
        {
            sp = (sp - (ulong)size) & mask;
            if (!WriteMem(Seg.Ss, sp, size, frame)) return false;
        }
        sp = (sp - alloc) & mask;
        if (size == 8) _s.Gpr[5] = frame;
        else if (size == 4) _s.Gpr[5] = (uint)frame;
        else _s.Gpr[5] = (_s.Gpr[5] & ~0xFFFFUL) | (ushort)frame;
        SetSp(sp);
        return true;
    }

    private bool ExecPusha(in Instruction i)
    {
        int size = i.Mnemonic == Mnemonic.Pushad ? 4 : 2;
        ulong sp0 = _s.Gpr[4];
        ulong mask = StackMask;
        ulong sp = sp0;
        for (int r = 0; r < 8; r++)
        {
            sp = (sp - (ulong)size) & mask;
            if (!WriteMem(Seg.Ss, sp, size, r == 4 ? sp0 : _s.Gpr[r])) return false;
        }
        SetSp(sp);
        return true;
    }

    private bool ExecPopa(in Instruction i)
    {
        int size = i.Mnemonic == Mnemonic.Popad ? 4 : 2;
        ulong sp = _s.Gpr[4] & StackMask;
        Span<ulong> vals = stackalloc ulong[8];
        for (int r = 0; r < 8; r++)
            if (!PopPeek(sp, size, r, out vals[7 - r])) return false;
        for (int r = 0; r < 8; r++)
        {
            if (r == 4) continue;
            _s.Gpr[r] = size == 4 ? (uint)vals[r] : (_s.Gpr[r] & ~0xFFFFUL) | (ushort)vals[r];
        }
        SetSp(sp + (ulong)(8 * size));
        return true;
    }
}
