using System.Runtime.CompilerServices;
using Iced.Intel;
using Xenon.Emulator.Memory;
using Xenon.Emulator.State;

namespace Xenon.Emulator.Execution;

/// <summary>Operand access for decoded instructions: registers by Iced register, memory by effective address.</summary>
public sealed partial class Cpu
{
    /// <summary>Per Iced register: GPR index, bit shift (8 for AH..BH), size in bytes; size 0 = not a GPR.</summary>
    private static readonly (byte Index, byte Shift, byte Size)[] RegInfo = BuildRegInfo();

    private static (byte, byte, byte)[] BuildRegInfo()
    {
        var t = new (byte, byte, byte)[Enum.GetValues<Register>().Length + 8];
        for (int i = 0; i < 20; i++)
        {
            // AL CL DL BL AH CH DH BH SPL BPL SIL DIL R8L..R15L
            if (i < 4) t[(int)Register.AL + i] = ((byte)i, 0, 1);
            else if (i < 8) t[(int)Register.AL + i] = ((byte)(i - 4), 8, 1);
            else t[(int)Register.AL + i] = ((byte)(i - 4), 0, 1);
        }
        for (int i = 0; i < 16; i++)
        {
            t[(int)Register.AX + i] = ((byte)i, 0, 2);
            t[(int)Register.EAX + i] = ((byte)i, 0, 4);
            t[(int)Register.RAX + i] = ((byte)i, 0, 8);
        }
        return t;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong SizeMask(int size) => size >= 8 ? ulong.MaxValue : (1UL << (size * 8)) - 1;

    internal static int RegSize(Register r) => RegInfo[(int)r].Size;

    internal ulong ReadReg(Register r)
    {
        var (idx, shift, size) = RegInfo[(int)r];
        if (size == 8) return _s.Gpr[idx];
        if (size == 0) return ReadSpecialReg(r);
        return (_s.Gpr[idx] >> shift) & SizeMask(size);
    }

    internal void WriteReg(Register r, ulong value)
    {
        var (idx, shift, size) = RegInfo[(int)r];
        switch (size)
        {
            case 8: _s.Gpr[idx] = value; break;
            case 4: _s.Gpr[idx] = (uint)value; break;
            case 2: _s.Gpr[idx] = (_s.Gpr[idx] & ~0xFFFFUL) | (ushort)value; break;
            case 1: _s.Gpr[idx] = (_s.Gpr[idx] & ~(0xFFUL << shift)) | ((ulong)(byte)value << shift); break;
            default: WriteSpecialReg(r, value); break;
        }
    }

    private ulong ReadSpecialReg(Register r) => r switch
    {
        >= Register.ES and <= Register.GS => _s.Segments[r - Register.ES].Selector,
        Register.RIP => _s.Rip,
        Register.EIP => (uint)_s.Rip,
        _ => 0,
    };

    private static void WriteSpecialReg(Register r, ulong value)
    {
        _ = r;
        _ = value;
    }

    /// <summary>Effective address (offset within the segment) of the instruction's memory operand, wrapped to the address size.</summary>
    internal ulong EffectiveAddress(in Instruction i)
    {
        Register b = i.MemoryBase;
        Register x = i.MemoryIndex;
        ulong ea = i.MemoryDisplacement64;
        int asz;
        if (b == Register.RIP) return ea;
        if (b == Register.EIP) return (uint)ea;
        if (b != Register.None)
        {
            ea += _s.Gpr[RegInfo[(int)b].Index];
            asz = RegInfo[(int)b].Size;
        }
        else if (x != Register.None) asz = RegInfo[(int)x].Size;
        else asz = i.MemoryDisplSize == 0 ? CodeBytes(i) : i.MemoryDisplSize;
        if (x != Register.None) ea += _s.Gpr[RegInfo[(int)x].Index] * (ulong)i.MemoryIndexScale;
        return asz switch { 2 => (ushort)ea, 4 => (uint)ea, _ => ea };
    }

    private static int CodeBytes(in Instruction i) => i.CodeSize switch { CodeSize.Code16 => 2, CodeSize.Code32 => 4, _ => 8 };

    /// <summary>Segment register index (Seg.*) of the memory operand.</summary>
    internal static int SegOf(in Instruction i) => i.MemorySegment - Register.ES;

    internal bool MemLinear(in Instruction i, out ulong linear) => Linear(SegOf(i), EffectiveAddress(i), out linear);

    /// <summary>Size in bytes of operand <paramref name="n"/> (register or memory).</summary>
    internal static int OpSize(in Instruction i, int n) =>
        i.GetOpKind(n) == OpKind.Register ? RegSize(i.GetOpRegister(n)) : i.MemorySize.GetSize();

    /// <summary>Reads a source operand: register, memory or immediate (immediates come sign-extended by the decoder).</summary>
    internal bool ReadOp(in Instruction i, int n, out ulong value)
    {
        switch (i.GetOpKind(n))
        {
            case OpKind.Register:
                value = ReadReg(i.GetOpRegister(n));
                return true;
            case OpKind.Memory:
                value = 0;
                return MemLinear(i, out ulong lin) && ReadLinear(lin, i.MemorySize.GetSize(), out value);
            default:
                value = i.GetImmediate(n);
                return true;
        }
    }

    /// <summary>A resolved destination: a register, or a translated memory operand that can be written without faulting.</summary>
    internal struct Loc
    {
        public Register Reg;
        public PhysRef Mem;
        public int Size;
        public readonly bool IsMem => Reg == Register.None;
    }

    /// <summary>Resolves operand n for read-modify-write (memory translated for writing, so the commit cannot fault).</summary>
    internal bool ResolveDest(in Instruction i, int n, out Loc loc)
    {
        loc = default;
        if (i.GetOpKind(n) == OpKind.Register)
        {
            loc.Reg = i.GetOpRegister(n);
            loc.Size = RegSize(loc.Reg);
            return true;
        }
        loc.Size = i.MemorySize.GetSize();
        return MemLinear(i, out ulong lin) && TranslateRange(lin, loc.Size, AccessKind.Write, UserAccess, out loc.Mem);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong ReadLoc(in Loc loc) => loc.IsMem ? ReadPhys(in loc.Mem) : ReadReg(loc.Reg);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void WriteLoc(in Loc loc, ulong value)
    {
        if (loc.IsMem) WritePhys(in loc.Mem, value);
        else WriteReg(loc.Reg, value);
    }

    /// <summary>Commits a read-modify-write: atomically against <paramref name="old"/> under LOCK, else a plain write.</summary>
    internal bool CommitLoc(in Instruction i, in Loc loc, ulong old, ulong value)
    {
        if (loc.IsMem && i.HasLockPrefix) return CompareExchangePhys(in loc.Mem, old, value);
        WriteLoc(in loc, value);
        return true;
    }
}
