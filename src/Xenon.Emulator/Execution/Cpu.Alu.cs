using Iced.Intel;
using Xenon.Emulator.State;

namespace Xenon.Emulator.Execution;

/// <summary>Integer ALU: ADD/ADC/SUB/SBB/AND/OR/XOR/CMP/TEST, INC/DEC/NEG/NOT, and exchange/compare-exchange.</summary>
public sealed partial class Cpu
{
    private bool ExecAlu2(in Instruction i)
    {
        Mnemonic m = i.Mnemonic;
        int size = OpSize(i, 0);
        int bits = size * 8;
        ulong mask = SizeMask(size);
        if (!ReadOp(i, 1, out ulong src)) return false;
        src &= mask;
        if (m is Mnemonic.Cmp or Mnemonic.Test)
        {
            if (!ReadOp(i, 0, out ulong d)) return false;
            d &= mask;
            if (m == Mnemonic.Cmp) _s.Lazy.Set(FlagOp.Sub, bits, d, src, (d - src) & mask);
            else _s.Lazy.Set(FlagOp.Logic, bits, d, src, d & src);
            return true;
        }
        if (!ResolveDest(i, 0, out Loc loc)) return false;
        ulong carry = m is Mnemonic.Adc or Mnemonic.Sbb && CF ? 1UL : 0;
        ulong dst, res;
        do
        {
            dst = ReadLoc(loc) & mask;
            res = m switch
            {
                Mnemonic.Add => dst + src,
                Mnemonic.Adc => dst + src + carry,
                Mnemonic.Sub => dst - src,
                Mnemonic.Sbb => dst - src - carry,
                Mnemonic.And => dst & src,
                Mnemonic.Or => dst | src,
                _ => dst ^ src,
            } & mask;
        } while (!CommitLoc(i, loc, dst, res));
        FlagOp op = m switch
        {
            Mnemonic.Add or Mnemonic.Adc => FlagOp.Add,
            Mnemonic.Sub or Mnemonic.Sbb => FlagOp.Sub,
            _ => FlagOp.Logic,
        };
        _s.Lazy.Set(op, bits, dst, src, res);
        return true;
    }

    private bool ExecAlu1(in Instruction i)
    {
        Mnemonic m = i.Mnemonic;
        int size = OpSize(i, 0);
        ulong mask = SizeMask(size);
        if (!ResolveDest(i, 0, out Loc loc)) return false;
        ulong dst, res;
        do
        {
            dst = ReadLoc(loc) & mask;
            res = m switch
            {
                Mnemonic.Inc => dst + 1,
                Mnemonic.Dec => dst - 1,
                Mnemonic.Neg => 0 - dst,
                _ => ~dst,
            } & mask;
        } while (!CommitLoc(i, loc, dst, res));
        switch (m)
        {
            case Mnemonic.Inc: _s.Lazy.Set(FlagOp.Inc, size * 8, dst, 1, res, _s.Lazy.Carry ? RFlags.CF : 0); break;
            case Mnemonic.Dec: _s.Lazy.Set(FlagOp.Dec, size * 8, dst, 1, res, _s.Lazy.Carry ? RFlags.CF : 0); break;
            case Mnemonic.Neg: _s.Lazy.Set(FlagOp.Sub, size * 8, 0, dst, res); break;
        }
        return true;
    }

    private bool ExecXchg(in Instruction i)
    {
        // Register-register, or register-memory (always locked, whatever the prefix).
        if (i.Op0Kind == OpKind.Register && i.Op1Kind == OpKind.Register)
        {
            ulong a = ReadReg(i.Op0Register), b = ReadReg(i.Op1Register);
            WriteReg(i.Op0Register, b);
            WriteReg(i.Op1Register, a);
            return true;
        }
        int memOp = i.Op0Kind == OpKind.Memory ? 0 : 1;
        Register reg = i.GetOpRegister(1 - memOp);
        if (!ResolveDest(i, memOp, out Loc loc)) return false;
        ulong v = ReadReg(reg), old;
        do old = ReadLoc(loc);
        while (!CompareExchangePhys(in loc.Mem, old, v));
        WriteReg(reg, old);
        return true;
    }

    private bool ExecXadd(in Instruction i)
    {
        int size = OpSize(i, 0);
        ulong mask = SizeMask(size);
        if (!ResolveDest(i, 0, out Loc loc)) return false;
        ulong src = ReadReg(i.Op1Register) & mask, dst, res;
        do
        {
            dst = ReadLoc(loc) & mask;
            res = (dst + src) & mask;
        } while (!CommitLoc(i, loc, dst, res));
        WriteReg(i.Op1Register, dst);
        if (!loc.IsMem && loc.Reg == i.Op1Register) WriteReg(loc.Reg, res);
        _s.Lazy.Set(FlagOp.Add, size * 8, dst, src, res);
        return true;
    }

    private bool ExecCmpxchg(in Instruction i)
    {
        int size = OpSize(i, 0);
        ulong mask = SizeMask(size);
        Register acc = size switch { 1 => Register.AL, 2 => Register.AX, 4 => Register.EAX, _ => Register.RAX };
        if (!ResolveDest(i, 0, out Loc loc)) return false;
        ulong expected = ReadReg(acc) & mask, src = ReadReg(i.Op1Register) & mask;
        ulong current;
        bool equal;
        if (loc.IsMem)
        {
            while (true)
            {
                current = ReadLoc(loc) & mask;
                equal = current == expected;
                // Memory is always written (with the old value on mismatch), as the hardware does.
                if (CommitLoc(i, loc, current, equal ? src : current)) break;
            }
        }
        else
        {
            current = ReadLoc(loc) & mask;
            equal = current == expected;
            // A register destination is written only on a match (AMD; a 32-bit one is not zero-extended on a mismatch).
            if (equal) WriteLoc(loc, src);
            if (equal && loc.Reg == acc) current = src;
        }
        if (!equal) WriteReg(acc, current);
        _s.Lazy.Set(FlagOp.Sub, size * 8, expected, current, (expected - current) & mask);
        return true;
    }

    /// <summary>CMPXCHG8B/16B: EDX:EAX (RDX:RAX) against m64 (m128), ECX:EBX (RCX:RBX) stored on match; ZF only.</summary>
    private bool ExecCmpxchgWide(in Instruction i)
    {
        bool wide = i.Mnemonic == Mnemonic.Cmpxchg16b;
        int half = wide ? 8 : 4;
        if (!MemLinear(i, out ulong lin)) return false;
        if (wide && (lin & 15) != 0) return Fault(Vector.GP, 0);
        if (!TranslateRange(lin, half, Memory.AccessKind.Write, UserAccess, out PhysRef lo) ||
            !TranslateRange(lin + (ulong)half, half, Memory.AccessKind.Write, UserAccess, out PhysRef hi)) return false;
        ulong mask = SizeMask(half);
        ulong expLo = _s.Gpr[0] & mask, expHi = _s.Gpr[2] & mask;
        ulong newLo = _s.Gpr[3] & mask, newHi = _s.Gpr[1] & mask;
        ulong curLo, curHi;
        bool equal;
        if (!wide && lo.Split == 4 && hi.Split == 4 && hi.Phys1 == lo.Phys1 + 4)
        {
            // One host 64-bit CAS covers CMPXCHG8B.
            var whole = new PhysRef { Phys1 = lo.Phys1, Split = 8, Size = 8 };
            ulong expected = expLo | (expHi << 32);
            while (true)
            {
                ulong cur = ReadPhys(in whole);
                equal = cur == expected;
                if (CompareExchangePhys(in whole, cur, equal ? newLo | (newHi << 32) : cur)) { curLo = (uint)cur; curHi = cur >> 32; break; }
            }
        }
        else if (wide && CompareExchange128(lo, expLo, expHi, newLo, newHi, out curLo, out curHi, out equal))
        {
        }
        else
        {
            curLo = ReadPhys(in lo);
            curHi = ReadPhys(in hi);
            equal = curLo == expLo && curHi == expHi;
            if (equal)
            {
                WritePhys(in lo, newLo);
                WritePhys(in hi, newHi);
            }
        }
        if (!equal)
        {
            WriteReg(wide ? Register.RAX : Register.EAX, curLo);
            WriteReg(wide ? Register.RDX : Register.EDX, curHi);
        }
        SetStatus(RFlags.ZF, equal ? RFlags.ZF : 0);
        return true;
    }

    // A 16-byte compare-exchange on host RAM. .NET has no 128-bit Interlocked; the CPUs of a machine serialise their
    // CMPXCHG16Bs on one lock instead, which is atomic against each other (the only writers that use the instruction).
    private static readonly Lock Cmpxchg16Lock = new();

    private bool CompareExchange128(in PhysRef lo, ulong expLo, ulong expHi, ulong newLo, ulong newHi, out ulong curLo, out ulong curHi,
        out bool equal)
    {
        curLo = curHi = 0;
        equal = false;
        Span<byte> ram = _mem.GetRam(lo.Phys1, 16);
        if (ram.IsEmpty) return false;
        lock (Cmpxchg16Lock)
        {
            curLo = BitConverter.ToUInt64(ram);
            curHi = BitConverter.ToUInt64(ram[8..]);
            equal = curLo == expLo && curHi == expHi;
            if (equal)
            {
                BitConverter.TryWriteBytes(ram, newLo);
                BitConverter.TryWriteBytes(ram[8..], newHi);
                AfterCodeWrite(lo.Phys1 >> 12);
            }
        }
        return true;
    }
}
