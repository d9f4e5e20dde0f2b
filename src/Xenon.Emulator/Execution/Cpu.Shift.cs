using Iced.Intel;
using Xenon.Emulator.State;

namespace Xenon.Emulator.Execution;

/// <summary>Shifts and rotates (flags as the SDM defines them; undefined ones get what Intel parts produce where known).</summary>
public sealed partial class Cpu
{
    private bool ExecShift(in Instruction i)
    {
        Mnemonic m = i.Mnemonic;
        int size = OpSize(i, 0);
        int bits = size * 8;
        ulong mask = SizeMask(size);
        ulong count;
        if (i.OpCount < 2) count = 1;
        else if (!ReadOp(i, 1, out count)) return false;
        count &= bits == 64 ? 0x3FUL : 0x1FUL;
        if (!ResolveDest(i, 0, out Loc loc)) return false;
        ulong dst = ReadLoc(loc) & mask;
        if (count == 0)
        {
            // No flags change, but a 32-bit register destination is still zero-extended.
            if (!loc.IsMem && size == 4) WriteLoc(loc, dst);
            return true;
        }
        if (!ShiftResult(m, size, dst, (int)count, out ulong res, out ulong f)) return Fault(Vector.UD);
        if (!CommitLoc(i, loc, dst, res)) return ExecShift(i);
        _s.Lazy.SetAll(f);
        return true;
    }

    /// <summary>
    /// The result and the new status flags of a shift or rotate by a non-zero, already masked count (shared by the
    /// interpreter and the fast path). False for a mnemonic that is not one.
    /// </summary>
    internal bool ShiftResult(Mnemonic m, int size, ulong dst, int c, out ulong res, out ulong f)
    {
        int bits = size * 8;
        ulong mask = SizeMask(size);
        ulong msb = 1UL << (bits - 1);
        // SHL/SHR/SAR by a non-zero count replace every status flag: only the rotates keep some of the old ones, so only
        // they pay for evaluating the lazy record (the profile had that at a third of a hot shift's cost).
        f = m is Mnemonic.Shl or Mnemonic.Sal or Mnemonic.Shr or Mnemonic.Sar ? 0 : _s.Lazy.Compute();
        bool cf, of;
        switch (m)
        {
            case Mnemonic.Shl:
            case Mnemonic.Sal:
                res = c >= 64 ? 0 : (dst << c) & mask;
                cf = c <= bits && ((dst >> (bits - c)) & 1) != 0;
                of = ((res & msb) != 0) != cf;
                f = (f & ~RFlags.Arith) | Szp(res, size);
                break;
            case Mnemonic.Shr:
                res = c >= 64 ? 0 : dst >> c;
                cf = c <= bits && ((dst >> (c - 1)) & 1) != 0;
                of = (dst & msb) != 0;
                f = (f & ~RFlags.Arith) | Szp(res, size);
                break;
            case Mnemonic.Sar:
            {
                long sd = (long)(dst << (64 - bits)) >> (64 - bits);
                res = (ulong)(sd >> Math.Min(c, 63)) & mask;
                cf = ((sd >> Math.Min(c - 1, 63)) & 1) != 0;
                of = false;
                f = (f & ~RFlags.Arith) | Szp(res, size);
                break;
            }
            case Mnemonic.Rol:
            {
                int r = c % bits;
                res = r == 0 ? dst : ((dst << r) | (dst >> (bits - r))) & mask;
                cf = (res & 1) != 0;
                of = ((res & msb) != 0) != cf;
                f &= ~(RFlags.CF | RFlags.OF);
                break;
            }
            case Mnemonic.Ror:
            {
                int r = c % bits;
                res = r == 0 ? dst : ((dst >> r) | (dst << (bits - r))) & mask;
                cf = (res & msb) != 0;
                of = ((res >> (bits - 1)) & 1) != ((res >> (bits - 2)) & 1);
                f &= ~(RFlags.CF | RFlags.OF);
                break;
            }
            case Mnemonic.Rcl:
            {
                int r = bits < 32 ? c % (bits + 1) : c;
                bool carry = (f & RFlags.CF) != 0;
                res = dst;
                for (int k = 0; k < r; k++)
                {
                    bool outBit = (res & msb) != 0;
                    res = ((res << 1) | (carry ? 1UL : 0)) & mask;
                    carry = outBit;
                }
                cf = carry;
                of = ((res & msb) != 0) != cf;
                f &= ~(RFlags.CF | RFlags.OF);
                break;
            }
            case Mnemonic.Rcr:
            {
                int r = bits < 32 ? c % (bits + 1) : c;
                bool carry = (f & RFlags.CF) != 0;
                of = ((dst & msb) != 0) != carry;
                res = dst;
                for (int k = 0; k < r; k++)
                {
                    bool outBit = (res & 1) != 0;
                    res = (res >> 1) | (carry ? msb : 0);
                    carry = outBit;
                }
                cf = carry;
                // Intel: OF = XOR of the two most significant result bits.
                of = ((res >> (bits - 1)) & 1) != ((res >> (bits - 2)) & 1);
                f &= ~(RFlags.CF | RFlags.OF);
                break;
            }
            default:
                res = 0;
                return false;
        }
        if (cf) f |= RFlags.CF;
        if (of) f |= RFlags.OF;
        return true;
    }


    /// <summary>
    /// SHL (0), SHR (1) or SAR (2) of <paramref name="dst"/> (masked to <paramref name="size"/>) by a non-zero count up to
    /// 63: the result, with the flags left as a lazy record. The same values and flags as <see cref="ShiftResult"/>, without
    /// computing ZF/SF/PF unless they are read (hot shift-heavy code overwrites them first).
    /// </summary>
    internal ulong ShiftLazy(int sub, int size, ulong dst, int c)
    {
        int bits = size * 8;
        ulong mask = SizeMask(size);
        ulong msb = 1UL << (bits - 1);
        ulong res;
        bool cf, of;
        switch (sub)
        {
            case 0:
                res = (dst << c) & mask;
                cf = c <= bits && ((dst >> (bits - c)) & 1) != 0;
                of = ((res & msb) != 0) != cf;
                break;
            case 1:
                res = dst >> c;
                cf = c <= bits && ((dst >> (c - 1)) & 1) != 0;
                of = (dst & msb) != 0;
                break;
            default:
            {
                long sd = (long)(dst << (64 - bits)) >> (64 - bits);
                res = (ulong)(sd >> c) & mask;
                cf = ((sd >> (c - 1)) & 1) != 0;
                of = false;
                break;
            }
        }
        _s.Lazy.Set(FlagOp.Shift, bits, dst, (ulong)c, res, (cf ? RFlags.CF : 0) | (of ? RFlags.OF : 0));
        return res;
    }

    private bool ExecShiftDouble(in Instruction i)
    {
        int size = OpSize(i, 0);
        int bits = size * 8;
        ulong mask = SizeMask(size);
        if (!ReadOp(i, 2, out ulong count)) return false;
        count &= bits == 64 ? 0x3FUL : 0x1FUL;
        if (!ResolveDest(i, 0, out Loc loc)) return false;
        ulong dst = ReadLoc(loc) & mask;
        ulong src = ReadReg(i.Op1Register) & mask;
        if (count == 0)
        {
            if (!loc.IsMem && size == 4) WriteLoc(loc, dst);
            return true;
        }
        int c = (int)count;
        ulong res;
        bool cf;
        if (i.Mnemonic == Mnemonic.Shld)
        {
            // 16-bit counts above 16 shift bits of src back in (Intel), modelled on a 32-bit src:dst:src concatenation.
            if (bits == 16)
            {
                ulong cat = (dst << 32) | (src << 16) | dst;
                res = (cat << c >> 32) & mask;
                cf = ((cat >> (48 - c)) & 1) != 0;
            }
            else
            {
                res = ((dst << c) | (src >> (bits - c))) & mask;
                cf = ((dst >> (bits - c)) & 1) != 0;
            }
        }
        else
        {
            if (bits == 16)
            {
                ulong cat = dst | (src << 16) | (dst << 32);
                res = (cat >> c) & mask;
                cf = ((cat >> (c - 1)) & 1) != 0;
            }
            else
            {
                res = ((dst >> c) | (src << (bits - c))) & mask;
                cf = ((dst >> (c - 1)) & 1) != 0;
            }
        }
        ulong msb = 1UL << (bits - 1);
        bool of = ((res ^ dst) & msb) != 0;
        WriteLoc(loc, res);
        ulong f = Szp(res, size) | (cf ? RFlags.CF : 0) | (of ? RFlags.OF : 0);
        _s.Lazy.SetAll(f);
        return true;
    }
}
