using Iced.Intel;

namespace Xenon.Emulator.Execution;

/// <summary>Pre-decoding of 64-bit instructions into <see cref="FastOp"/>s (the forms the profiles showed hot).</summary>
public sealed partial class Cpu
{
    /// <summary>
    /// Whether 64-bit blocks run their pre-decoded forms (default) or every instruction through the interpreter's
    /// handlers. The interpreter is the reference: tests run the same code both ways and compare.
    /// </summary>
    public bool FastPath
    {
        get => _fastPath;
        set
        {
            _fastPath = value;
            UpdateHostRam();
        }
    }

    private bool _fastPath = true;

    private static bool IsGpr(Register r) => RegInfo[(int)r].Size != 0;

    private static bool SetReg(ref byte index, ref byte shift, Register r)
    {
        var (idx, sh, size) = RegInfo[(int)r];
        if (size == 0) return false;
        index = idx;
        shift = sh;
        return true;
    }

    /// <summary>The memory operand's parts, with the address size <see cref="EffectiveAddress"/> would use.</summary>
    private static bool SetMem(ref FastOp f, in Instruction i)
    {
        Register b = i.MemoryBase, x = i.MemoryIndex;
        f.Disp = i.MemoryDisplacement64;
        f.Base = FastOp.NoReg;
        f.Index = FastOp.NoReg;
        f.Scale = (byte)i.MemoryIndexScale;
        f.Seg = (byte)SegOf(i);
        if (i.MemorySegment is < Register.ES or > Register.GS) return false;
        if (b == Register.RIP)
        {
            if (x != Register.None) return false;
            f.AddrSize = 8;
            return true;
        }
        if (b == Register.EIP)
        {
            if (x != Register.None) return false;
            f.AddrSize = 4;
            f.Disp = (uint)f.Disp;
            return true;
        }
        if (b != Register.None)
        {
            if (!IsGpr(b) || RegSize(b) < 4) return false;
            f.Base = RegInfo[(int)b].Index;
            f.AddrSize = (byte)RegSize(b);
        }
        else if (x != Register.None) f.AddrSize = (byte)RegSize(x);
        else f.AddrSize = (byte)(i.MemoryDisplSize == 0 ? CodeBytes(i) : i.MemoryDisplSize);
        if (x != Register.None)
        {
            if (!IsGpr(x) || RegSize(x) < 4) return false;
            f.Index = RegInfo[(int)x].Index;
        }
        return f.AddrSize is 4 or 8;
    }

    /// <summary>Fills <paramref name="f"/> for a 64-bit-mode instruction; leaves it None for anything not reproduced exactly.</summary>
    internal static void BuildFastOp(in Instruction i, out FastOp f)
    {
        f = default;
        if (i.HasLockPrefix || i.HasRepPrefix || i.HasRepnePrefix) return;
        if (!TryBuild(ref f, in i)) f = default;
    }

    private static bool TryBuild(ref FastOp f, in Instruction i)
    {
        OpKind k0 = i.OpCount > 0 ? i.Op0Kind : OpKind.Register, k1 = i.OpCount > 1 ? i.Op1Kind : OpKind.Register;
        switch (i.Mnemonic)
        {
            case Mnemonic.Nop:
                f.Kind = FastKind.Nop;
                return true;
            case Mnemonic.Mov:
                return BuildTwoOperand(ref f, in i, k0, k1, FastKind.MovRR, FastKind.MovRM, FastKind.MovRI, FastKind.MovMR, FastKind.MovMI);

            case Mnemonic.Add: case Mnemonic.Or: case Mnemonic.Adc: case Mnemonic.Sbb: case Mnemonic.And: case Mnemonic.Sub:
            case Mnemonic.Xor: case Mnemonic.Cmp: case Mnemonic.Test:
                f.Sub = (byte)(i.Mnemonic switch
                {
                    Mnemonic.Add => FastAlu.Add, Mnemonic.Or => FastAlu.Or, Mnemonic.Adc => FastAlu.Adc, Mnemonic.Sbb => FastAlu.Sbb,
                    Mnemonic.And => FastAlu.And, Mnemonic.Sub => FastAlu.Sub, Mnemonic.Xor => FastAlu.Xor, Mnemonic.Cmp => FastAlu.Cmp,
                    _ => FastAlu.Test,
                });
                return BuildTwoOperand(ref f, in i, k0, k1, FastKind.AluRR, FastKind.AluRM, FastKind.AluRI, FastKind.AluMR, FastKind.AluMI);

            case Mnemonic.Inc: case Mnemonic.Dec:
                f.Sub = (byte)(i.Mnemonic == Mnemonic.Inc ? FastAlu.Inc : FastAlu.Dec);
                if (k0 == OpKind.Register)
                {
                    f.Kind = FastKind.IncDecR;
                    f.Size = (byte)RegSize(i.Op0Register);
                    return SetReg(ref f.Dst, ref f.DstShift, i.Op0Register);
                }
                if (k0 != OpKind.Memory) return false;
                f.Kind = FastKind.IncDecM;
                return SetSizedMem(ref f, in i);

            case Mnemonic.Lea:
                if (k0 != OpKind.Register || k1 != OpKind.Memory) return false;
                f.Kind = FastKind.Lea;
                f.Size = (byte)RegSize(i.Op0Register);
                return SetReg(ref f.Dst, ref f.DstShift, i.Op0Register) && SetMem(ref f, in i);

            case Mnemonic.Movzx: case Mnemonic.Movsx: case Mnemonic.Movsxd:
                if (k0 != OpKind.Register) return false;
                f.Sub = (byte)(i.Mnemonic == Mnemonic.Movzx ? 0 : 1);
                f.Size = (byte)RegSize(i.Op0Register);
                if (!SetReg(ref f.Dst, ref f.DstShift, i.Op0Register)) return false;
                if (k1 == OpKind.Register)
                {
                    f.Kind = FastKind.ExtendRR;
                    f.SrcSize = (byte)RegSize(i.Op1Register);
                    return SetReg(ref f.Src, ref f.SrcShift, i.Op1Register);
                }
                if (k1 != OpKind.Memory) return false;
                f.Kind = FastKind.ExtendRM;
                f.SrcSize = (byte)i.MemorySize.GetSize();
                return f.SrcSize is 1 or 2 or 4 && SetMem(ref f, in i);

            case Mnemonic.Jo: case Mnemonic.Jno: case Mnemonic.Jb: case Mnemonic.Jae: case Mnemonic.Je: case Mnemonic.Jne:
            case Mnemonic.Jbe: case Mnemonic.Ja: case Mnemonic.Js: case Mnemonic.Jns: case Mnemonic.Jp: case Mnemonic.Jnp:
            case Mnemonic.Jl: case Mnemonic.Jge: case Mnemonic.Jle: case Mnemonic.Jg:
                if (k0 != OpKind.NearBranch64) return false;
                f.Kind = FastKind.Jcc;
                f.Sub = (byte)i.ConditionCode;
                f.Imm = i.NearBranchTarget;
                return true;
            case Mnemonic.Jmp:
                if (k0 != OpKind.NearBranch64) return false;
                f.Kind = FastKind.Jmp;
                f.Imm = i.NearBranchTarget;
                return true;
            case Mnemonic.Call:
                if (k0 != OpKind.NearBranch64) return false;
                f.Kind = FastKind.Call;
                f.Imm = i.NearBranchTarget;
                return true;
            case Mnemonic.Ret:
                if (i.Code != Code.Retnq) return false;
                f.Kind = FastKind.Ret;
                return true;
            case Mnemonic.Shl: case Mnemonic.Sal: case Mnemonic.Shr: case Mnemonic.Sar: case Mnemonic.Rol: case Mnemonic.Ror:
                f.Sub = (byte)Array.IndexOf(ShiftMnemonics, i.Mnemonic == Mnemonic.Sal ? Mnemonic.Shl : i.Mnemonic);
                if (i.OpCount < 2) f.Imm = 1;
                else if (k1 == OpKind.Immediate8) f.Imm = i.Immediate8;
                else if (k1 == OpKind.Register && i.Op1Register == Register.CL) f.SrcSize = 1;
                else return false;
                if (k0 == OpKind.Register)
                {
                    f.Kind = FastKind.ShiftR;
                    f.Size = (byte)RegSize(i.Op0Register);
                    return SetReg(ref f.Dst, ref f.DstShift, i.Op0Register);
                }
                if (k0 != OpKind.Memory) return false;
                f.Kind = FastKind.ShiftM;
                return SetSizedMem(ref f, in i);
            case Mnemonic.Push:
                if (i.Code != Code.Push_r64) return false;
                f.Kind = FastKind.Push;
                return SetReg(ref f.Src, ref f.SrcShift, i.Op0Register);
            case Mnemonic.Pop:
                if (i.Code != Code.Pop_r64) return false;
                f.Kind = FastKind.Pop;
                return SetReg(ref f.Dst, ref f.DstShift, i.Op0Register);
            case Mnemonic.Seto: case Mnemonic.Setno: case Mnemonic.Setb: case Mnemonic.Setae: case Mnemonic.Sete: case Mnemonic.Setne:
            case Mnemonic.Setbe: case Mnemonic.Seta: case Mnemonic.Sets: case Mnemonic.Setns: case Mnemonic.Setp: case Mnemonic.Setnp:
            case Mnemonic.Setl: case Mnemonic.Setge: case Mnemonic.Setle: case Mnemonic.Setg:
                f.Sub = (byte)i.ConditionCode;
                f.Size = 1;
                if (k0 == OpKind.Register)
                {
                    f.Kind = FastKind.SetccR;
                    return SetReg(ref f.Dst, ref f.DstShift, i.Op0Register);
                }
                f.Kind = FastKind.SetccM;
                return k0 == OpKind.Memory && SetMem(ref f, in i);
            case Mnemonic.Cmovo: case Mnemonic.Cmovno: case Mnemonic.Cmovb: case Mnemonic.Cmovae: case Mnemonic.Cmove:
            case Mnemonic.Cmovne: case Mnemonic.Cmovbe: case Mnemonic.Cmova: case Mnemonic.Cmovs: case Mnemonic.Cmovns:
            case Mnemonic.Cmovp: case Mnemonic.Cmovnp: case Mnemonic.Cmovl: case Mnemonic.Cmovge: case Mnemonic.Cmovle:
            case Mnemonic.Cmovg:
                f.Sub = (byte)i.ConditionCode;
                return BuildRegRm(ref f, in i, k0, k1, FastKind.CmovRR, FastKind.CmovRM);
            case Mnemonic.Bt: case Mnemonic.Bts: case Mnemonic.Btr: case Mnemonic.Btc:
                // Register destinations only: a memory destination with a register offset addresses a bit string.
                if (k0 != OpKind.Register || !SetReg(ref f.Dst, ref f.DstShift, i.Op0Register)) return false;
                f.Sub = (byte)(i.Mnemonic switch
                {
                    Mnemonic.Bt => FastBit.Bt, Mnemonic.Bts => FastBit.Bts, Mnemonic.Btr => FastBit.Btr, _ => FastBit.Btc,
                });
                f.Size = (byte)RegSize(i.Op0Register);
                if (k1 == OpKind.Immediate8)
                {
                    f.Kind = FastKind.BtRI;
                    f.Imm = i.Immediate8;
                    return true;
                }
                f.Kind = FastKind.BtRR;
                return k1 == OpKind.Register && SetReg(ref f.Src, ref f.SrcShift, i.Op1Register);
            case Mnemonic.Mul: case Mnemonic.Imul:
                if (i.OpCount == 1)
                {
                    f.Sub = (byte)(i.Mnemonic == Mnemonic.Imul ? 1 : 0);
                    return BuildRm(ref f, in i, k0, FastKind.MulR, FastKind.MulM);
                }
                if (i.OpCount == 3)
                {
                    if (!IsImmediate(i.Op2Kind)) return false;
                    f.SrcSize = 1;
                    f.Imm = i.GetImmediate(2);
                }
                return BuildRegRm(ref f, in i, k0, k1, FastKind.ImulR, FastKind.ImulM);
            case Mnemonic.Neg: case Mnemonic.Not:
                // Register destinations only: the memory forms (read-modify-write, LOCK) stay with the interpreter.
                if (k0 != OpKind.Register) return false;
                f.Kind = FastKind.NegNotR;
                f.Sub = (byte)(i.Mnemonic == Mnemonic.Neg ? 1 : 0);
                f.Size = (byte)RegSize(i.Op0Register);
                return SetReg(ref f.Dst, ref f.DstShift, i.Op0Register);
            case Mnemonic.Div: case Mnemonic.Idiv:
                f.Sub = (byte)(i.Mnemonic == Mnemonic.Idiv ? 1 : 0);
                return BuildRm(ref f, in i, k0, FastKind.DivR, FastKind.DivM);
            case Mnemonic.Xchg:
                // Register pairs only: the memory form is locked and stays with the interpreter.
                if (k0 != OpKind.Register || k1 != OpKind.Register) return false;
                f.Kind = FastKind.XchgRR;
                f.Size = (byte)RegSize(i.Op0Register);
                return SetReg(ref f.Dst, ref f.DstShift, i.Op0Register) && SetReg(ref f.Src, ref f.SrcShift, i.Op1Register);
        }
        return false;
    }

    /// <summary>The two-operand forms MOV and the ALU ops share: r,r / r,m / r,imm / m,r / m,imm, a memory source of the register's size.</summary>
    private static bool BuildTwoOperand(ref FastOp f, in Instruction i, OpKind k0, OpKind k1,
        FastKind rr, FastKind rm, FastKind ri, FastKind mr, FastKind mi)
    {
        if (i.OpCount != 2) return false;
        if (k0 == OpKind.Register)
        {
            if (!SetReg(ref f.Dst, ref f.DstShift, i.Op0Register)) return false;
            f.Size = (byte)RegSize(i.Op0Register);
            if (k1 == OpKind.Register)
            {
                f.Kind = rr;
                return SetReg(ref f.Src, ref f.SrcShift, i.Op1Register);
            }
            if (k1 == OpKind.Memory)
            {
                f.Kind = rm;
                return i.MemorySize.GetSize() == f.Size && SetMem(ref f, in i);
            }
            if (!IsImmediate(k1)) return false;
            f.Kind = ri;
            f.Imm = i.GetImmediate(1);
            return true;
        }
        if (k0 != OpKind.Memory || !SetSizedMem(ref f, in i)) return false;
        if (k1 == OpKind.Register)
        {
            f.Kind = mr;
            return SetReg(ref f.Src, ref f.SrcShift, i.Op1Register);
        }
        if (!IsImmediate(k1)) return false;
        f.Kind = mi;
        f.Imm = i.GetImmediate(1);
        return true;
    }

    /// <summary>A memory operand whose size is the operation's: 1, 2, 4 or 8 bytes.</summary>
    private static bool SetSizedMem(ref FastOp f, in Instruction i)
    {
        f.Size = (byte)i.MemorySize.GetSize();
        return f.Size is 1 or 2 or 4 or 8 && SetMem(ref f, in i);
    }

    /// <summary>The one operand of MUL/IMUL/DIV/IDIV r/m (the accumulator pair implied): a register or a sized memory operand.</summary>
    private static bool BuildRm(ref FastOp f, in Instruction i, OpKind k0, FastKind reg, FastKind mem)
    {
        if (k0 == OpKind.Register)
        {
            f.Kind = reg;
            f.Size = (byte)RegSize(i.Op0Register);
            return SetReg(ref f.Src, ref f.SrcShift, i.Op0Register);
        }
        if (k0 != OpKind.Memory) return false;
        f.Kind = mem;
        return SetSizedMem(ref f, in i);
    }

    /// <summary>A register destination with a register or memory source of the same size (CMOVcc, IMUL r, r/m).</summary>
    private static bool BuildRegRm(ref FastOp f, in Instruction i, OpKind k0, OpKind k1, FastKind reg, FastKind mem)
    {
        if (k0 != OpKind.Register || !SetReg(ref f.Dst, ref f.DstShift, i.Op0Register)) return false;
        f.Size = (byte)RegSize(i.Op0Register);
        if (k1 == OpKind.Register)
        {
            f.Kind = reg;
            return SetReg(ref f.Src, ref f.SrcShift, i.Op1Register);
        }
        f.Kind = mem;
        return k1 == OpKind.Memory && i.MemorySize.GetSize() == f.Size && SetMem(ref f, in i);
    }

    private static readonly Mnemonic[] ShiftMnemonics = [Mnemonic.Shl, Mnemonic.Shr, Mnemonic.Sar, Mnemonic.Rol, Mnemonic.Ror];

    private static bool IsImmediate(OpKind k) => k is OpKind.Immediate8 or OpKind.Immediate16 or OpKind.Immediate32 or OpKind.Immediate64
        or OpKind.Immediate8to16 or OpKind.Immediate8to32 or OpKind.Immediate8to64 or OpKind.Immediate32to64;
}
