using Iced.Intel;
using Xenon.Emulator.State;

namespace Xenon.Emulator.Execution;

/// <summary>MUL, IMUL (one, two and three operands), DIV, IDIV (#DE on zero divisor or quotient overflow).</summary>
public sealed partial class Cpu
{
    private bool ExecMul(in Instruction i)
    {
        bool signed = i.Mnemonic == Mnemonic.Imul;
        if (i.OpCount >= 2)
        {
            // IMUL r, r/m [, imm]: truncated product; CF = OF = the product does not fit.
            int size = RegSize(i.Op0Register);
            int bits = size * 8;
            ulong a, b;
            if (i.OpCount == 3)
            {
                if (!ReadOp(i, 1, out a) || !ReadOp(i, 2, out b)) return false;
            }
            else
            {
                a = ReadReg(i.Op0Register);
                if (!ReadOp(i, 1, out b)) return false;
            }
            long sa = SignExtend(a, bits), sb = SignExtend(b, bits);
            Int128 p = (Int128)sa * sb;
            ulong res = (ulong)p & SizeMask(size);
            bool overflow = p != (Int128)SignExtend(res, bits);
            WriteReg(i.Op0Register, res);
            SetMulFlags(res, size, overflow);
            return true;
        }
        int sz = OpSize(i, 0);
        if (!ReadOp(i, 0, out ulong src)) return false;
        int n = sz * 8;
        ulong lo, hi;
        bool ovf;
        if (signed)
        {
            Int128 p = (Int128)SignExtend(_s.Gpr[0], n) * SignExtend(src, n);
            lo = (ulong)p & SizeMask(sz);
            hi = (ulong)(p >> n) & SizeMask(sz);
            ovf = p != (Int128)SignExtend(lo, n);
        }
        else
        {
            UInt128 p = (UInt128)(_s.Gpr[0] & SizeMask(sz)) * (src & SizeMask(sz));
            lo = (ulong)p & SizeMask(sz);
            hi = (ulong)(p >> n) & SizeMask(sz);
            ovf = hi != 0;
        }
        StoreWide(sz, lo, hi);
        SetMulFlags(lo, sz, ovf);
        return true;
    }

    // Intel parts leave SF/ZF/PF of the low result and clear AF; the SDM calls them undefined.
    private void SetMulFlags(ulong lo, int size, bool overflow) =>
        _s.Lazy.SetAll(Szp(lo, size) | (overflow ? RFlags.CF | RFlags.OF : 0));

    /// <summary>Stores a double-width result: AX for byte operands, else DX:AX / EDX:EAX / RDX:RAX.</summary>
    private void StoreWide(int size, ulong lo, ulong hi)
    {
        switch (size)
        {
            case 1: WriteReg(Register.AX, (hi << 8) | lo); break;
            case 2: WriteReg(Register.AX, lo); WriteReg(Register.DX, hi); break;
            case 4: WriteReg(Register.EAX, lo); WriteReg(Register.EDX, hi); break;
            default: _s.Gpr[0] = lo; _s.Gpr[2] = hi; break;
        }
    }

    internal static long SignExtend(ulong v, int bits) => bits >= 64 ? (long)v : (long)(v << (64 - bits)) >> (64 - bits);

    private bool ExecDiv(in Instruction i)
    {
        if (!ReadOp(i, 0, out ulong divisor)) return false;
        return Divide(OpSize(i, 0), i.Mnemonic == Mnemonic.Idiv, divisor);
    }

    /// <summary>DIV/IDIV of rDX:rAX (AX for bytes) by <paramref name="divisor"/>: #DE (nothing written) on a zero divisor
    /// or a quotient that does not fit; the flags are left as they were (undefined).</summary>
    private bool Divide(int size, bool signed, ulong divisor)
    {
        int n = size * 8;
        divisor &= SizeMask(size);
        if (divisor == 0) return Fault(Vector.DE);
        ulong lo, hi;
        if (size == 1)
        {
            ulong ax = _s.Gpr[0] & 0xFFFF;
            lo = ax & 0xFF;
            hi = ax >> 8;
        }
        else
        {
            lo = _s.Gpr[0] & SizeMask(size);
            hi = _s.Gpr[2] & SizeMask(size);
        }
        ulong q, r;
        if (!signed)
        {
            if (n < 64)
            {
                // The dividend fits in 64 bits: no 128-bit division.
                ulong dividend = (hi << n) | lo;
                ulong quot = dividend / divisor;
                if (quot > SizeMask(size)) return Fault(Vector.DE);
                q = quot;
                r = dividend % divisor;
            }
            else
            {
                if (hi >= divisor) return Fault(Vector.DE); // the quotient would not fit in 64 bits
                UInt128 dividend = ((UInt128)hi << 64) | lo;
                q = (ulong)(dividend / divisor);
                r = (ulong)(dividend % divisor);
            }
        }
        else
        {
            Int128 dividend = (Int128)(((UInt128)hi << n) | lo);
            if (n < 64) dividend = (dividend << (128 - 2 * n)) >> (128 - 2 * n);
            Int128 d = SignExtend(divisor, n);
            if (d == -1 && dividend == Int128.MinValue) return Fault(Vector.DE); // Int128 division would throw
            Int128 quot = dividend / d;
            long min = n == 64 ? long.MinValue : -(1L << (n - 1)), max = n == 64 ? long.MaxValue : (1L << (n - 1)) - 1;
            if (quot < min || quot > max) return Fault(Vector.DE);
            q = (ulong)(long)quot & SizeMask(size);
            r = (ulong)(long)(dividend % d) & SizeMask(size);
        }
        if (size == 1) WriteReg(Register.AX, (r << 8) | q);
        else StoreWide(size, q, r);
        return true;
    }
}
