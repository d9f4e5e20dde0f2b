using System.Runtime.CompilerServices;
using Iced.Intel;
using Xenon.Emulator.Memory;
using Xenon.Emulator.State;

namespace Xenon.Emulator.Execution;

/// <summary>
/// The fast path: runs a <see cref="FastOp"/> (operands resolved at decode time) with the same semantics, order of
/// faults and lazy-flag updates as the interpreter's handler for that instruction, minus Iced's per-field decoding and
/// the mnemonic switch. Returns false with a pending fault, like every handler.
/// </summary>
public sealed partial class Cpu
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong Gpr(byte index, byte shift, int size)
    {
        ulong v = _s.Gpr[index];
        return size == 8 ? v : (v >> shift) & SizeMask(size);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetGpr(byte index, byte shift, int size, ulong value)
    {
        ref ulong r = ref _s.Gpr[index];
        switch (size)
        {
            case 8: r = value; break;
            case 4: r = (uint)value; break;
            case 2: r = (r & ~0xFFFFUL) | (ushort)value; break;
            default: r = (r & ~(0xFFUL << shift)) | ((ulong)(byte)value << shift); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong FastEa(ref FastOp f)
    {
        ulong ea = f.Disp;
        if (f.Base != FastOp.NoReg) ea += _s.Gpr[f.Base];
        if (f.Index != FastOp.NoReg) ea += _s.Gpr[f.Index] * f.Scale;
        return f.AddrSize == 4 ? (uint)ea : ea;
    }

    private bool FastRead(ref FastOp f, int size, out ulong value)
    {
        value = 0;
        return Linear(f.Seg, FastEa(ref f), out ulong lin) && ReadLinear(lin, size, out value);
    }

    private bool ExecuteFast(ref FastOp f)
    {
        switch (f.Kind)
        {
            case FastKind.Nop:
                return true;
            case FastKind.MovRR:
                SetGpr(f.Dst, f.DstShift, f.Size, Gpr(f.Src, f.SrcShift, f.Size));
                return true;
            case FastKind.MovRI:
                SetGpr(f.Dst, f.DstShift, f.Size, f.Imm);
                return true;
            case FastKind.MovRM:
            {
                if (!FastRead(ref f, f.Size, out ulong v)) return false;
                SetGpr(f.Dst, f.DstShift, f.Size, v);
                return true;
            }
            case FastKind.MovMR:
            {
                ulong v = Gpr(f.Src, f.SrcShift, f.Size);
                return Linear(f.Seg, FastEa(ref f), out ulong lin) && WriteLinear(lin, f.Size, v);
            }
            case FastKind.MovMI:
                return Linear(f.Seg, FastEa(ref f), out ulong mlin) && WriteLinear(mlin, f.Size, f.Imm);
            case FastKind.AluRR:
                return FastAluReg(ref f, Gpr(f.Src, f.SrcShift, f.Size));
            case FastKind.AluRI:
                return FastAluReg(ref f, f.Imm);
            case FastKind.AluRM:
            {
                if (!FastRead(ref f, f.Size, out ulong v)) return false;
                return FastAluReg(ref f, v);
            }
            case FastKind.AluMR:
                return FastAluMem(ref f, Gpr(f.Src, f.SrcShift, f.Size));
            case FastKind.AluMI:
                return FastAluMem(ref f, f.Imm);
            case FastKind.IncDecR:
            {
                ulong mask = SizeMask(f.Size);
                ulong dst = Gpr(f.Dst, f.DstShift, f.Size) & mask;
                ulong res = (f.Sub == (byte)FastAlu.Inc ? dst + 1 : dst - 1) & mask;
                SetGpr(f.Dst, f.DstShift, f.Size, res);
                SetIncDecFlags(ref f, dst, res);
                return true;
            }
            case FastKind.IncDecM:
            {
                if (!Linear(f.Seg, FastEa(ref f), out ulong lin)) return false;
                ulong mask = SizeMask(f.Size);
                nint host = HostForRmw(lin, f.Size, out ulong page);
                if (host != 0)
                {
                    ulong hd = HostLoad(host, f.Size) & mask;
                    ulong hr = (f.Sub == (byte)FastAlu.Inc ? hd + 1 : hd - 1) & mask;
                    HostStore(host, f.Size, hr);
                    AfterCodeWrite(page >> 12);
                    SetIncDecFlags(ref f, hd, hr);
                    return true;
                }
                if (!RmwTranslate(lin, f.Size, out PhysRef r, out ulong dst)) return false;
                dst &= mask;
                ulong res = (f.Sub == (byte)FastAlu.Inc ? dst + 1 : dst - 1) & mask;
                WritePhys(in r, res);
                SetIncDecFlags(ref f, dst, res);
                return true;
            }
            case FastKind.Lea:
                SetGpr(f.Dst, f.DstShift, f.Size, FastEa(ref f));
                return true;
            case FastKind.ExtendRR:
                SetGpr(f.Dst, f.DstShift, f.Size, Extend(ref f, Gpr(f.Src, f.SrcShift, f.SrcSize)));
                return true;
            case FastKind.ExtendRM:
            {
                if (!FastRead(ref f, f.SrcSize, out ulong v)) return false;
                SetGpr(f.Dst, f.DstShift, f.Size, Extend(ref f, v));
                return true;
            }
            case FastKind.Jcc:
                return !Cond((ConditionCode)f.Sub) || SetRipChecked(f.Imm, 8);
            case FastKind.Jmp:
                return SetRipChecked(f.Imm, 8);
            case FastKind.Call:
            {
                ulong sp = (_s.Gpr[4] - 8) & StackMask;
                if (!WriteMem(Seg.Ss, sp, 8, _next)) return false;
                ulong oldSp = _s.Gpr[4];
                SetSp(sp);
                if (SetRipChecked(f.Imm, 8)) return true;
                _s.Gpr[4] = oldSp;
                return false;
            }
            case FastKind.Ret:
            {
                ulong sp = _s.Gpr[4] & StackMask;
                if (!ReadMem(Seg.Ss, sp, 8, out ulong target)) return false;
                ulong oldSp = _s.Gpr[4];
                SetSp(sp + 8);
                if (SetRipChecked(target, 8)) return true;
                _s.Gpr[4] = oldSp;
                return false;
            }
            case FastKind.ShiftR:
            {
                int c = FastShiftCount(ref f);
                ulong dst = Gpr(f.Dst, f.DstShift, f.Size);
                if (c == 0)
                {
                    // No flags change, but a 32-bit register destination is still zero-extended.
                    if (f.Size == 4) SetGpr(f.Dst, f.DstShift, 4, dst);
                    return true;
                }
                if (f.Sub < 3)
                {
                    SetGpr(f.Dst, f.DstShift, f.Size, ShiftLazy(f.Sub, f.Size, dst, c));
                    return true;
                }
                ShiftResult(ShiftMnemonics[f.Sub], f.Size, dst, c, out ulong res, out ulong flags);
                SetGpr(f.Dst, f.DstShift, f.Size, res);
                _s.Lazy.SetAll(flags);
                return true;
            }
            case FastKind.ShiftM:
            {
                int c = FastShiftCount(ref f);
                if (!Linear(f.Seg, FastEa(ref f), out ulong lin)) return false;
                nint host = HostForRmw(lin, f.Size, out ulong page);
                if (host != 0)
                {
                    if (c == 0) return true;
                    ulong hd = HostLoad(host, f.Size) & SizeMask(f.Size);
                    ulong hr;
                    if (f.Sub < 3) hr = ShiftLazy(f.Sub, f.Size, hd, c);
                    else
                    {
                        ShiftResult(ShiftMnemonics[f.Sub], f.Size, hd, c, out hr, out ulong hf);
                        _s.Lazy.SetAll(hf);
                    }
                    HostStore(host, f.Size, hr);
                    AfterCodeWrite(page >> 12);
                    return true;
                }
                if (!RmwTranslate(lin, f.Size, out PhysRef r, out ulong dst)) return false;
                dst &= SizeMask(f.Size);
                if (c == 0) return true;
                if (f.Sub < 3)
                {
                    // The lazy record goes before the store: a store to a translated physical address cannot fault.
                    WritePhys(in r, ShiftLazy(f.Sub, f.Size, dst, c));
                    return true;
                }
                ShiftResult(ShiftMnemonics[f.Sub], f.Size, dst, c, out ulong res, out ulong flags);
                WritePhys(in r, res);
                _s.Lazy.SetAll(flags);
                return true;
            }
            case FastKind.Push:
                return Push(_s.Gpr[f.Src], 8);
            case FastKind.Pop:
            {
                ulong sp = _s.Gpr[4] & StackMask;
                if (!ReadMem(Seg.Ss, sp, 8, out ulong v)) return false;
                SetSp(sp + 8);
                _s.Gpr[f.Dst] = v; // POP RSP loads the popped value
                return true;
            }
            case FastKind.SetccR:
                SetGpr(f.Dst, f.DstShift, 1, Cond((ConditionCode)f.Sub) ? 1UL : 0);
                return true;
            case FastKind.SetccM:
            {
                ulong v = Cond((ConditionCode)f.Sub) ? 1UL : 0;
                return Linear(f.Seg, FastEa(ref f), out ulong lin) && WriteLinear(lin, 1, v);
            }
            case FastKind.CmovRR:
                FastCmov(ref f, Gpr(f.Src, f.SrcShift, f.Size));
                return true;
            case FastKind.CmovRM:
            {
                // The source is read (and may fault) whatever the condition.
                if (!FastRead(ref f, f.Size, out ulong v)) return false;
                FastCmov(ref f, v);
                return true;
            }
            case FastKind.BtRR:
                FastBitOp(ref f, Gpr(f.Src, f.SrcShift, f.Size));
                return true;
            case FastKind.BtRI:
                FastBitOp(ref f, f.Imm);
                return true;
            case FastKind.ImulR:
                FastImul(ref f, Gpr(f.Src, f.SrcShift, f.Size));
                return true;
            case FastKind.ImulM:
            {
                if (!FastRead(ref f, f.Size, out ulong v)) return false;
                FastImul(ref f, v);
                return true;
            }
            case FastKind.MulR:
                FastMulWide(ref f, Gpr(f.Src, f.SrcShift, f.Size));
                return true;
            case FastKind.MulM:
            {
                if (!FastRead(ref f, f.Size, out ulong v)) return false;
                FastMulWide(ref f, v);
                return true;
            }
            case FastKind.XchgRR:
            {
                ulong a = Gpr(f.Dst, f.DstShift, f.Size), b = Gpr(f.Src, f.SrcShift, f.Size);
                SetGpr(f.Dst, f.DstShift, f.Size, b);
                SetGpr(f.Src, f.SrcShift, f.Size, a);
                return true;
            }
            case FastKind.NegNotR:
            {
                ulong mask = SizeMask(f.Size);
                ulong dst = Gpr(f.Dst, f.DstShift, f.Size) & mask;
                ulong res = (f.Sub != 0 ? 0 - dst : ~dst) & mask;
                SetGpr(f.Dst, f.DstShift, f.Size, res);
                if (f.Sub != 0) _s.Lazy.Set(FlagOp.Sub, f.Size * 8, 0, dst, res); // NOT leaves the flags alone
                return true;
            }
            case FastKind.DivR:
                return Divide(f.Size, f.Sub != 0, Gpr(f.Src, f.SrcShift, f.Size));
            case FastKind.DivM:
                return FastRead(ref f, f.Size, out ulong divisor) && Divide(f.Size, f.Sub != 0, divisor);
        }
        return Fault(Vector.UD); // not reached: None never comes here
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int FastShiftCount(ref FastOp f)
    {
        ulong count = f.SrcSize != 0 ? _s.Gpr[1] & 0xFF : f.Imm;
        return (int)(count & (f.Size == 8 ? 0x3FUL : 0x1FUL));
    }

    private static ulong Extend(ref FastOp f, ulong v)
    {
        v &= SizeMask(f.SrcSize);
        return f.Sub != 0 ? (ulong)SignExtend(v, f.SrcSize * 8) : v;
    }

    private void SetIncDecFlags(ref FastOp f, ulong dst, ulong res) =>
        _s.Lazy.Set(f.Sub == (byte)FastAlu.Inc ? FlagOp.Inc : FlagOp.Dec, f.Size * 8, dst, 1, res, _s.Lazy.Carry ? RFlags.CF : 0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong AluResult(FastAlu op, ulong dst, ulong src, ulong mask) => op switch
    {
        FastAlu.Add => dst + src,
        FastAlu.Adc => dst + src + (CF ? 1UL : 0),
        FastAlu.Sub => dst - src,
        FastAlu.Sbb => dst - src - (CF ? 1UL : 0),
        FastAlu.And => dst & src,
        FastAlu.Or => dst | src,
        _ => dst ^ src,
    } & mask;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static FlagOp AluFlagOp(FastAlu op) => op switch
    {
        FastAlu.Add or FastAlu.Adc => FlagOp.Add,
        FastAlu.Sub or FastAlu.Sbb => FlagOp.Sub,
        _ => FlagOp.Logic,
    };

    private bool FastAluReg(ref FastOp f, ulong src)
    {
        ulong mask = SizeMask(f.Size);
        int bits = f.Size * 8;
        src &= mask;
        ulong dst = Gpr(f.Dst, f.DstShift, f.Size) & mask;
        var op = (FastAlu)f.Sub;
        if (op == FastAlu.Cmp)
        {
            _s.Lazy.Set(FlagOp.Sub, bits, dst, src, (dst - src) & mask);
            return true;
        }
        if (op == FastAlu.Test)
        {
            _s.Lazy.Set(FlagOp.Logic, bits, dst, src, dst & src);
            return true;
        }
        ulong res = AluResult(op, dst, src, mask);
        SetGpr(f.Dst, f.DstShift, f.Size, res);
        _s.Lazy.Set(AluFlagOp(op), bits, dst, src, res);
        return true;
    }

    private bool FastAluMem(ref FastOp f, ulong src)
    {
        ulong mask = SizeMask(f.Size);
        int bits = f.Size * 8;
        src &= mask;
        var op = (FastAlu)f.Sub;
        if (!Linear(f.Seg, FastEa(ref f), out ulong lin)) return false;
        if (op is FastAlu.Cmp or FastAlu.Test)
        {
            if (!ReadLinear(lin, f.Size, out ulong d)) return false;
            d &= mask;
            if (op == FastAlu.Cmp) _s.Lazy.Set(FlagOp.Sub, bits, d, src, (d - src) & mask);
            else _s.Lazy.Set(FlagOp.Logic, bits, d, src, d & src);
            return true;
        }
        nint host = HostForRmw(lin, f.Size, out ulong page);
        if (host != 0)
        {
            ulong hd = HostLoad(host, f.Size) & mask;
            ulong hr = AluResult(op, hd, src, mask);
            HostStore(host, f.Size, hr);
            AfterCodeWrite(page >> 12);
            _s.Lazy.Set(AluFlagOp(op), bits, hd, src, hr);
            return true;
        }
        if (!RmwTranslate(lin, f.Size, out PhysRef r, out ulong dst)) return false;
        dst &= mask;
        ulong res = AluResult(op, dst, src, mask);
        WritePhys(in r, res);
        _s.Lazy.Set(AluFlagOp(op), bits, dst, src, res);
        return true;
    }
}
