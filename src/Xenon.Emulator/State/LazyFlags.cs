using System.Runtime.CompilerServices;
using System.Numerics;

namespace Xenon.Emulator.State;

/// <summary>What the last flag-setting ALU operation was; its operands are kept and the status flags computed only when read.</summary>
internal enum FlagOp : byte
{
    /// <summary>The status flags are materialised in <see cref="LazyFlags.Materialized"/>.</summary>
    None,
    Add,
    Sub,
    Logic,
    Inc,
    Dec,
    /// <summary>SHL/SHR/SAR by a non-zero count: ZF/SF/PF from the result, CF and OF precomputed in Aux, AF clear.</summary>
    Shift,
}

/// <summary>
/// Lazy status flags: most instructions that set flags have them overwritten before anything reads them, so the ALU
/// stores (op, size, dst, src, result) and CF/PF/AF/ZF/SF/OF are derived on demand. Carry-in (ADC/SBB) and the preserved
/// CF of INC/DEC travel in <see cref="Aux"/>.
/// </summary>
internal struct LazyFlags
{
    public FlagOp Op;
    public int Bits;
    public ulong Dst, Src, Result, Aux;
    /// <summary>Status flags when <see cref="Op"/> is None.</summary>
    public ulong Materialized;

    public void Set(FlagOp op, int bits, ulong dst, ulong src, ulong result, ulong aux = 0)
    {
        Op = op;
        Bits = bits;
        Dst = dst;
        Src = src;
        Result = result;
        Aux = aux;
    }

    /// <summary>Replaces the status flags with explicit values.</summary>
    public void SetAll(ulong statusFlags)
    {
        Op = FlagOp.None;
        Materialized = statusFlags & RFlags.Arith;
    }

    public ulong Compute()
    {
        if (Op == FlagOp.None) return Materialized;
        int top = Bits - 1;
        ulong mask = Bits == 64 ? ulong.MaxValue : (1UL << Bits) - 1;
        ulong r = Result & mask;
        ulong f = 0;
        if (r == 0) f |= RFlags.ZF;
        if (((r >> top) & 1) != 0) f |= RFlags.SF;
        if ((BitOperations.PopCount((uint)(r & 0xFF)) & 1) == 0) f |= RFlags.PF;
        ulong d = Dst, s = Src;
        switch (Op)
        {
            case FlagOp.Add:
            case FlagOp.Inc:
                if (Op == FlagOp.Add) { if ((((d & s) | ((d | s) & ~r)) >> top & 1) != 0) f |= RFlags.CF; }
                else f |= Aux & RFlags.CF;
                if ((((d ^ r) & (s ^ r)) >> top & 1) != 0) f |= RFlags.OF;
                if (((d ^ s ^ r) & 0x10) != 0) f |= RFlags.AF;
                break;
            case FlagOp.Sub:
            case FlagOp.Dec:
                if (Op == FlagOp.Sub) { if ((((~d & s) | ((~d | s) & r)) >> top & 1) != 0) f |= RFlags.CF; }
                else f |= Aux & RFlags.CF;
                if ((((d ^ s) & (d ^ r)) >> top & 1) != 0) f |= RFlags.OF;
                if (((d ^ s ^ r) & 0x10) != 0) f |= RFlags.AF;
                break;
            case FlagOp.Shift:
                f |= Aux & (RFlags.CF | RFlags.OF);
                break;
        }
        return f;
    }

    // Inlined: INC/DEC, ADC/SBB and the translated blocks read it on every execution.
    public readonly bool Carry
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Op switch
    {
        FlagOp.None => (Materialized & RFlags.CF) != 0,
        FlagOp.Logic => false,
        FlagOp.Inc or FlagOp.Dec or FlagOp.Shift => (Aux & RFlags.CF) != 0,
        _ => ((Op == FlagOp.Add ? ((Dst & Src) | ((Dst | Src) & ~Result)) : ((~Dst & Src) | ((~Dst | Src) & Result))) >> (Bits - 1) & 1) != 0,
    };
    }

    public readonly bool Zero => Op == FlagOp.None
        ? (Materialized & RFlags.ZF) != 0
        : (Result & (Bits == 64 ? ulong.MaxValue : (1UL << Bits) - 1)) == 0;
}
