using System.Reflection.Emit;

namespace Xenon.Emulator.Execution;

/// <summary>
/// Dead flag writes: an instruction's status flags need not be stored (nor, for a rotate, the old flags evaluated) when
/// a later instruction of the translation overwrites all of them and nothing in between reads them or can leave the
/// method. A fault or exit must find the flags exactly as the interpreter leaves them, so any instruction that may
/// fault, branch or fall back to the fast path's executor keeps the flags before it live.
/// </summary>
internal sealed partial class BlockTranslator
{
    /// <summary>For each translated instruction: true when its flag results are overwritten before anyone sees them.</summary>
    internal static bool[] DeadFlagWrites(FastOp[] ops, int count)
    {
        var dead = new bool[count];
        for (int k = 0; k < count; k++)
        {
            if (!FlagsSkippable(ref ops[k])) continue;
            for (int j = k + 1; j < count; j++)
            {
                ref FastOp f = ref ops[j];
                if (ReadsFlags(ref f) || MayLeave(ref f)) break;
                if (WritesAllFlags(ref f))
                {
                    dead[k] = true;
                    break;
                }
            }
        }
        return dead;
    }

    /// <summary>Instructions whose translation can leave their flag results out (they are emitted inline here).</summary>
    private static bool FlagsSkippable(ref FastOp f) => f.Kind switch
    {
        FastKind.AluRR or FastKind.AluRI or FastKind.AluRM or FastKind.IncDecR or FastKind.ImulR or FastKind.ImulM => true,
        FastKind.NegNotR => f.Sub != 0,
        FastKind.ShiftR => f.SrcSize == 0,
        _ => false,
    };

    /// <summary>Reads the status flags (conservatively: everything the fast path's executor runs).</summary>
    private static bool ReadsFlags(ref FastOp f) => f.Kind switch
    {
        FastKind.Nop or FastKind.MovRR or FastKind.MovRI or FastKind.MovRM or FastKind.MovMR or FastKind.MovMI or FastKind.Lea
            or FastKind.ExtendRR or FastKind.ExtendRM or FastKind.Push or FastKind.Pop or FastKind.XchgRR
            or FastKind.Jmp or FastKind.Call or FastKind.Ret or FastKind.ImulR or FastKind.ImulM or FastKind.NegNotR => false,
        FastKind.AluRR or FastKind.AluRI or FastKind.AluRM => (FastAlu)f.Sub is FastAlu.Adc or FastAlu.Sbb,
        // A shift by zero leaves the flags as they were; a rotate keeps all but CF and OF.
        FastKind.ShiftR => f.SrcSize != 0 || ConstantShiftCount(ref f) == 0 || f.Sub >= 3,
        _ => true, // Jcc, SETcc, CMOVcc, INC/DEC (CF), and every fallback
    };

    /// <summary>May fault, branch or call out (the flags must be exact there).</summary>
    private static bool MayLeave(ref FastOp f) => f.Kind is not (FastKind.Nop or FastKind.MovRR or FastKind.MovRI
        or FastKind.AluRR or FastKind.AluRI or FastKind.IncDecR or FastKind.Lea or FastKind.ExtendRR or FastKind.ShiftR
        or FastKind.SetccR or FastKind.CmovRR or FastKind.XchgRR or FastKind.ImulR or FastKind.NegNotR);

    /// <summary>Replaces all six status flags without reading them.</summary>
    private static bool WritesAllFlags(ref FastOp f) => f.Kind switch
    {
        FastKind.AluRR or FastKind.AluRI => (FastAlu)f.Sub is not (FastAlu.Adc or FastAlu.Sbb),
        FastKind.ImulR => true,
        FastKind.NegNotR => f.Sub != 0,
        FastKind.ShiftR => f.SrcSize == 0 && f.Sub < 3 && ConstantShiftCount(ref f) != 0,
        _ => false,
    };

    private static int ConstantShiftCount(ref FastOp f) => (int)(f.Imm & (f.Size == 8 ? 0x3FUL : 0x1FUL));

    /// <summary>
    /// A shift or rotate of a register by a constant non-zero count whose flags are dead: the result alone, inline
    /// (the interpreter's ShiftResult rules for the value).
    /// </summary>
    private void EmitShiftValueOnly(ref FastOp f, int c)
    {
        int size = f.Size, bits = size * 8;
        Read(f.Dst, f.DstShift, size);
        switch (f.Sub)
        {
            case 0: // SHL: counts up to 31 on narrow operands shift everything out
                _il.Emit(OpCodes.Ldc_I4, c);
                _il.Emit(OpCodes.Shl);
                Mask(size);
                break;
            case 1: // SHR
                _il.Emit(OpCodes.Ldc_I4, c);
                _il.Emit(OpCodes.Shr_Un);
                break;
            case 2: // SAR: sign-extend to 64 bits, shift arithmetically (the count never exceeds 63), mask
                if (bits < 64)
                {
                    _il.Emit(OpCodes.Ldc_I4, 64 - bits);
                    _il.Emit(OpCodes.Shl);
                    _il.Emit(OpCodes.Ldc_I4, 64 - bits + Math.Min(c, bits - 1));
                }
                else _il.Emit(OpCodes.Ldc_I4, c);
                _il.Emit(OpCodes.Shr);
                Mask(size);
                break;
            default: // ROL (3), ROR (4) by c modulo the width
            {
                int r = c % bits;
                if (r == 0) break;
                int left = f.Sub == 3 ? r : bits - r;
                _il.Emit(OpCodes.Stloc, _d);
                _il.Emit(OpCodes.Ldloc, _d);
                _il.Emit(OpCodes.Ldc_I4, left);
                _il.Emit(OpCodes.Shl);
                _il.Emit(OpCodes.Ldloc, _d);
                _il.Emit(OpCodes.Ldc_I4, bits - left);
                _il.Emit(OpCodes.Shr_Un);
                _il.Emit(OpCodes.Or);
                Mask(size);
                break;
            }
        }
        _il.Emit(OpCodes.Stloc, _res);
        Write(f.Dst, f.DstShift, size, _res);
    }
}
