using System.Buffers.Binary;
using System.Numerics;
using Iced.Intel;
using Xenon.Emulator.Memory;
using Xenon.Emulator.State;

namespace Xenon.Emulator.Execution;

/// <summary>BT/BTS/BTR/BTC, BSF/BSR, TZCNT/LZCNT/POPCNT, BSWAP, MOVZX/MOVSX, CBW family, SETcc/CMOVcc, LAHF/SAHF.</summary>
public sealed partial class Cpu
{
    private bool ExecBt(in Instruction i)
    {
        Mnemonic m = i.Mnemonic;
        int size = OpSize(i, 0);
        int bits = size * 8;
        if (!ReadOp(i, 1, out ulong offset)) return false;
        Loc loc;
        int bit;
        if (i.Op0Kind == OpKind.Memory && i.Op1Kind == OpKind.Register)
        {
            // A register bit offset addresses a bit string: signed, beyond the operand.
            long off = SignExtend(offset, RegSize(i.Op1Register) * 8);
            long byteOff = (off >> (bits == 64 ? 6 : bits == 32 ? 5 : 4)) * size;
            bit = (int)(off & (bits - 1));
            if (!MemLinear(i, out ulong lin)) return false;
            lin += (ulong)byteOff;
            if (!_s.Is64BitCode) lin &= 0xFFFFFFFF;
            loc = new Loc { Size = size };
            AccessKind kind = m == Mnemonic.Bt ? AccessKind.Read : AccessKind.Write;
            if (!TranslateRange(lin, size, kind, UserAccess, out loc.Mem)) return false;
        }
        else
        {
            bit = (int)(offset & (ulong)(bits - 1));
            if (m == Mnemonic.Bt)
            {
                if (!ReadOp(i, 0, out ulong v)) return false;
                SetStatus(RFlags.CF, ((v >> bit) & 1) != 0 ? RFlags.CF : 0);
                return true;
            }
            if (!ResolveDest(i, 0, out loc)) return false;
        }
        ulong old, res;
        do
        {
            old = ReadLoc(loc);
            res = m switch
            {
                Mnemonic.Bts => old | (1UL << bit),
                Mnemonic.Btr => old & ~(1UL << bit),
                Mnemonic.Btc => old ^ (1UL << bit),
                _ => old,
            };
            if (m == Mnemonic.Bt) break;
        } while (!CommitLoc(i, loc, old, res));
        SetStatus(RFlags.CF, ((old >> bit) & 1) != 0 ? RFlags.CF : 0);
        return true;
    }

    private bool ExecBitScan(in Instruction i)
    {
        int size = RegSize(i.Op0Register);
        if (!ReadOp(i, 1, out ulong src)) return false;
        src &= SizeMask(size);
        int bits = size * 8;
        switch (i.Mnemonic)
        {
            case Mnemonic.Bsf:
            case Mnemonic.Bsr:
                if (src == 0)
                {
                    // Destination unchanged (what Intel and AMD do); ZF = 1. The other flags are undefined: leave them.
                    SetStatus(RFlags.ZF, RFlags.ZF);
                    return true;
                }
                WriteReg(i.Op0Register, (ulong)(i.Mnemonic == Mnemonic.Bsf ? BitOperations.TrailingZeroCount(src) : 63 - BitOperations.LeadingZeroCount(src)));
                SetStatus(RFlags.ZF, 0);
                return true;
            case Mnemonic.Tzcnt:
            case Mnemonic.Lzcnt:
            {
                ulong r = i.Mnemonic == Mnemonic.Tzcnt
                    ? (src == 0 ? (ulong)bits : (ulong)BitOperations.TrailingZeroCount(src))
                    : (ulong)(BitOperations.LeadingZeroCount(src) - (64 - bits));
                WriteReg(i.Op0Register, r);
                SetStatus(RFlags.CF | RFlags.ZF, (src == 0 ? RFlags.CF : 0) | (r == 0 ? RFlags.ZF : 0));
                return true;
            }
            default: // POPCNT
                WriteReg(i.Op0Register, (ulong)BitOperations.PopCount(src));
                _s.Lazy.SetAll(src == 0 ? RFlags.ZF : 0);
                return true;
        }
    }

    private bool ExecBswap(in Instruction i)
    {
        Register r = i.Op0Register;
        ulong v = ReadReg(r);
        ulong res = RegSize(r) switch
        {
            8 => BinaryPrimitives.ReverseEndianness(v),
            4 => BinaryPrimitives.ReverseEndianness((uint)v),
            _ => 0, // 16-bit BSWAP is undefined; Intel and AMD give 0
        };
        WriteReg(r, res);
        return true;
    }

    private bool ExecMovExtend(in Instruction i)
    {
        int srcSize = OpSize(i, 1);
        if (!ReadOp(i, 1, out ulong v)) return false;
        v &= SizeMask(srcSize);
        if (i.Mnemonic != Mnemonic.Movzx) v = (ulong)SignExtend(v, srcSize * 8);
        WriteReg(i.Op0Register, v);
        return true;
    }

    private void ExecConvert(Mnemonic m)
    {
        ulong a = _s.Gpr[0];
        switch (m)
        {
            case Mnemonic.Cbw: WriteReg(Register.AX, (ulong)(long)(sbyte)a); break;
            case Mnemonic.Cwde: WriteReg(Register.EAX, (ulong)(long)(short)a); break;
            case Mnemonic.Cdqe: _s.Gpr[0] = (ulong)(long)(int)a; break;
            case Mnemonic.Cwd: WriteReg(Register.DX, (short)a < 0 ? 0xFFFFUL : 0); break;
            case Mnemonic.Cdq: WriteReg(Register.EDX, (int)a < 0 ? 0xFFFFFFFFUL : 0); break;
            case Mnemonic.Cqo: _s.Gpr[2] = (long)a < 0 ? ulong.MaxValue : 0; break;
        }
    }

    private bool ExecSetcc(in Instruction i)
    {
        ulong v = Cond(i.ConditionCode) ? 1UL : 0;
        if (i.Op0Kind == OpKind.Register)
        {
            WriteReg(i.Op0Register, v);
            return true;
        }
        return MemLinear(i, out ulong lin) && WriteLinear(lin, 1, v);
    }

    private bool ExecCmovcc(in Instruction i)
    {
        // The source is read (and may fault) whatever the condition; a 32-bit destination is zero-extended either way.
        if (!ReadOp(i, 1, out ulong v)) return false;
        WriteReg(i.Op0Register, Cond(i.ConditionCode) ? v : ReadReg(i.Op0Register));
        return true;
    }

    private void ExecLahf()
    {
        ulong f = GetRflags();
        WriteReg(Register.AH, f & 0xD7 | 2);
    }

    private void ExecSahf()
    {
        ulong ah = (_s.Gpr[0] >> 8) & 0xFF;
        SetStatus(RFlags.SF | RFlags.ZF | RFlags.AF | RFlags.PF | RFlags.CF, ah);
    }
}
