using Iced.Intel;
using Xenon.Emulator.State;

namespace Xenon.Emulator.Execution;

/// <summary>
/// Fast-path bodies of CMOVcc, BT/BTS/BTR/BTC on registers and the multiplies: the same results and flags as
/// <c>ExecCmovcc</c>, <c>ExecBt</c> and <c>ExecMul</c> once the operands are read (memory sources are read, and fault,
/// by the caller before any of these runs).
/// </summary>
public sealed partial class Cpu
{
    private void FastCmov(ref FastOp f, ulong src) =>
        // A 32-bit destination is zero-extended even when the condition is false.
        SetGpr(f.Dst, f.DstShift, f.Size, Cond((ConditionCode)f.Sub) ? src : Gpr(f.Dst, f.DstShift, f.Size));

    private void FastBitOp(ref FastOp f, ulong offset)
    {
        int bit = (int)(offset & (ulong)(f.Size * 8 - 1));
        ulong old = Gpr(f.Dst, f.DstShift, f.Size);
        var op = (FastBit)f.Sub;
        if (op != FastBit.Bt)
        {
            ulong res = op switch
            {
                FastBit.Bts => old | (1UL << bit),
                FastBit.Btr => old & ~(1UL << bit),
                _ => old ^ (1UL << bit),
            };
            SetGpr(f.Dst, f.DstShift, f.Size, res);
        }
        SetStatus(RFlags.CF, ((old >> bit) & 1) != 0 ? RFlags.CF : 0);
    }

    /// <summary>IMUL r, r/m (destination times source) or IMUL r, r/m, imm (source times immediate): truncated product.</summary>
    private void FastImul(ref FastOp f, ulong src)
    {
        ulong a = f.SrcSize != 0 ? src : Gpr(f.Dst, f.DstShift, f.Size);
        ulong b = f.SrcSize != 0 ? f.Imm : src;
        SetGpr(f.Dst, f.DstShift, f.Size, ImulTruncated(a, b, f.Size));
    }

    /// <summary>The truncated signed product of two operands of <paramref name="size"/> bytes, with IMUL's flags set.</summary>
    internal ulong ImulTruncated(ulong a, ulong b, int size)
    {
        int bits = size * 8;
        ulong res;
        bool overflow;
        if (bits == 64)
        {
            // The high half of the signed product must be the low half's sign, or the product did not fit.
            long hi = Math.BigMul((long)a, (long)b, out long lo);
            res = (ulong)lo;
            overflow = hi != lo >> 63;
        }
        else
        {
            // Two sign-extended operands of 32 bits or less: the exact product fits in a long (no Int128 needed).
            long p = SignExtend(a, bits) * SignExtend(b, bits);
            res = (ulong)p & SizeMask(size);
            overflow = p != SignExtend(res, bits);
        }
        SetMulFlags(res, size, overflow);
        return res;
    }

    /// <summary>MUL/IMUL r/m: rAX times the operand into AX, DX:AX, EDX:EAX or RDX:RAX.</summary>
    private void FastMulWide(ref FastOp f, ulong src)
    {
        int size = f.Size, n = size * 8;
        ulong mask = SizeMask(size), lo, hi;
        bool ovf;
        if (f.Sub != 0)
        {
            Int128 p = (Int128)SignExtend(_s.Gpr[0], n) * SignExtend(src, n);
            lo = (ulong)p & mask;
            hi = (ulong)(p >> n) & mask;
            ovf = p != (Int128)SignExtend(lo, n);
        }
        else if (size == 8)
        {
            hi = Math.BigMul(_s.Gpr[0], src, out lo);
            ovf = hi != 0;
        }
        else
        {
            ulong p = (_s.Gpr[0] & mask) * (src & mask);
            lo = p & mask;
            hi = (p >> n) & mask;
            ovf = hi != 0;
        }
        StoreWide(size, lo, hi);
        SetMulFlags(lo, size, ovf);
    }
}
