using System.Reflection.Emit;
using Xenon.Emulator.State;
using ConditionCode = Iced.Intel.ConditionCode;

namespace Xenon.Emulator.Execution;

/// <summary>The IL of each <see cref="FastKind"/>: branches (which end the translation), then everything else.</summary>
internal sealed partial class BlockTranslator
{
    /// <summary>Jcc, JMP, CALL, RET: emits the instruction and the block's exit; false for anything else.</summary>
    private bool EmitBranch(ref FastOp f, int k, ulong next, bool last)
    {
        if (f.Kind is not (FastKind.Jcc or FastKind.Jmp or FastKind.Call or FastKind.Ret) || !last) return false;
        if (f.Kind != FastKind.Ret && !Cpu.IsCanonical(f.Imm))
        {
            // A jump to a non-canonical target faults: the interpreter's own code raises it.
            EmitFallback(ref f, k, next);
            Flush();
            _il.Emit(OpCodes.Ldc_I4, k + 1);
            _il.Emit(OpCodes.Ret);
            return true;
        }
        switch (f.Kind)
        {
            case FastKind.Jmp:
                EmitBranchExit(f.Imm, k + 1);
                return true;
            case FastKind.Jcc:
            {
                Label taken = _il.DefineLabel();
                if (!FusedBranch((ConditionCode)f.Sub, k, taken))
                {
                    Cond(f.Sub);
                    _il.Emit(OpCodes.Brtrue, taken);
                }
                EmitEdge(next, k + 1);
                _il.MarkLabel(taken);
                EmitBranchExit(f.Imm, k + 1);
                return true;
            }
            case FastKind.Call:
                LdReg(4);
                _il.Emit(OpCodes.Ldc_I8, 8L);
                _il.Emit(OpCodes.Sub);
                _il.Emit(OpCodes.Stloc, _ea);
                _il.Emit(OpCodes.Ldc_I8, (long)next);
                _il.Emit(OpCodes.Stloc, _val);
                Store(Seg.Ss, 8, k);
                StReg(4, _ea);
                EmitEdge(f.Imm, k + 1);
                return true;
            default: // Ret
            {
                LdReg(4);
                _il.Emit(OpCodes.Stloc, _ea);
                Load(Seg.Ss, 8, k);
                Label ok = _il.DefineLabel();
                _il.Emit(OpCodes.Ldloc, _val);
                _il.Emit(OpCodes.Call, typeof(Cpu).GetMethod(nameof(Cpu.IsCanonical), Any)!);
                _il.Emit(OpCodes.Brtrue, ok);
                _il.Emit(OpCodes.Ldarg_0);
                _il.Emit(OpCodes.Call, RetFaultHelper);
                EmitFaultExit(k);
                _il.MarkLabel(ok);
                _il.Emit(OpCodes.Ldloc, _ea);
                _il.Emit(OpCodes.Ldc_I8, 8L);
                _il.Emit(OpCodes.Add);
                _il.Emit(OpCodes.Stloc, _ea);
                StReg(4, _ea);
                Flush();
                _il.Emit(OpCodes.Ldloc, _state);
                _il.Emit(OpCodes.Ldloc, _val);
                _il.Emit(OpCodes.Stfld, RipField);
                _il.Emit(OpCodes.Ldc_I4, k + 1);
                _il.Emit(OpCodes.Ret);
                return true;
            }
        }
    }

    /// <summary>
    /// A Jcc right after a CMP/SUB (or a TEST/AND/OR/XOR for ZF) of this block: branches to <paramref name="taken"/> on
    /// the operands still in locals. False if the condition needs the lazy flags.
    /// </summary>
    private bool FusedBranch(ConditionCode cc, int k, Label taken)
    {
        // k == 0: the Jcc is a member's first instruction, and the operands in the locals are those of whatever CMP the
        // method ran last (another member's, or none when the dispatcher entered here): its flags are in the state.
        if (k == 0 || _fuseIndex != k - 1) return false;
        if (_fuseOp == FlagOp.Logic)
        {
            if (cc is not (ConditionCode.e or ConditionCode.ne)) return false;
            _il.Emit(OpCodes.Ldloc, _res);
            _il.Emit(cc == ConditionCode.e ? OpCodes.Brfalse : OpCodes.Brtrue, taken);
            return true;
        }
        if (_fuseOp != FlagOp.Sub) return false;
        OpCode branch;
        switch (cc)
        {
            case ConditionCode.e: branch = OpCodes.Beq; break;
            case ConditionCode.ne: branch = OpCodes.Bne_Un; break;
            case ConditionCode.b: branch = OpCodes.Blt_Un; break;
            case ConditionCode.ae: branch = OpCodes.Bge_Un; break;
            case ConditionCode.be: branch = OpCodes.Ble_Un; break;
            case ConditionCode.a: branch = OpCodes.Bgt_Un; break;
            case ConditionCode.l: branch = OpCodes.Blt; break;
            case ConditionCode.ge: branch = OpCodes.Bge; break;
            case ConditionCode.le: branch = OpCodes.Ble; break;
            case ConditionCode.g: branch = OpCodes.Bgt; break;
            default: return false;
        }
        // The operands' sign bit moved to bit 63, so a signed compare of the shifted values is the sized compare.
        int sh = 64 - _fuseBits;
        foreach (LocalBuilder x in (ReadOnlySpan<LocalBuilder>)[_d, _s2])
        {
            _il.Emit(OpCodes.Ldloc, x);
            if (sh != 0)
            {
                _il.Emit(OpCodes.Ldc_I4, sh);
                _il.Emit(OpCodes.Shl);
            }
        }
        _il.Emit(branch, taken);
        return true;
    }

    /// <summary>Emits one non-branch instruction; true if it may have stored to memory.</summary>
    private bool EmitOp(ref FastOp f, int k, ulong next)
    {
        int size = f.Size;
        switch (f.Kind)
        {
            case FastKind.Nop:
                return false;
            case FastKind.MovRR:
                Read(f.Src, f.SrcShift, size);
                _il.Emit(OpCodes.Stloc, _val);
                Write(f.Dst, f.DstShift, size, _val);
                return false;
            case FastKind.MovRI:
                _il.Emit(OpCodes.Ldc_I8, (long)f.Imm);
                _il.Emit(OpCodes.Stloc, _val);
                Write(f.Dst, f.DstShift, size, _val);
                return false;
            case FastKind.MovRM:
                EffectiveAddress(ref f);
                Load(f.Seg, size, k);
                Write(f.Dst, f.DstShift, size, _val);
                return false;
            case FastKind.MovMR:
                Read(f.Src, f.SrcShift, size);
                _il.Emit(OpCodes.Stloc, _val);
                EffectiveAddress(ref f);
                Store(f.Seg, size, k);
                return true;
            case FastKind.MovMI:
                _il.Emit(OpCodes.Ldc_I8, (long)f.Imm);
                _il.Emit(OpCodes.Stloc, _val);
                EffectiveAddress(ref f);
                Store(f.Seg, size, k);
                return true;
            case FastKind.AluRR:
                Read(f.Src, f.SrcShift, size);
                _il.Emit(OpCodes.Stloc, _s2);
                EmitAluReg(ref f);
                return false;
            case FastKind.AluRI:
                _il.Emit(OpCodes.Ldc_I8, (long)(f.Imm & Cpu.SizeMask(size)));
                _il.Emit(OpCodes.Stloc, _s2);
                EmitAluReg(ref f);
                return false;
            case FastKind.AluRM:
                LoadSource(ref f, size, k);
                EmitAluReg(ref f);
                return false;
            case FastKind.IncDecR:
            {
                Read(f.Dst, f.DstShift, size);
                _il.Emit(OpCodes.Stloc, _d);
                _il.Emit(OpCodes.Ldloc, _d);
                _il.Emit(OpCodes.Ldc_I8, 1L);
                _il.Emit(f.Sub == (byte)FastAlu.Inc ? OpCodes.Add : OpCodes.Sub);
                Mask(size);
                _il.Emit(OpCodes.Stloc, _res);
                Write(f.Dst, f.DstShift, size, _res);
                if (_flagsDead[k]) return false;
                _il.Emit(OpCodes.Ldc_I8, 1L);
                _il.Emit(OpCodes.Stloc, _s2);
                _il.Emit(OpCodes.Ldarg_0);
                _il.Emit(OpCodes.Call, IncDecAuxHelper); // CF before this instruction, kept by INC/DEC
                _il.Emit(OpCodes.Stloc, _aux);
                SetLazy(f.Sub == (byte)FastAlu.Inc ? FlagOp.Inc : FlagOp.Dec, size * 8, _aux);
                return false;
            }
            case FastKind.Lea:
                EffectiveAddress(ref f);
                Write(f.Dst, f.DstShift, size, _ea);
                return false;
            case FastKind.ExtendRR:
                Read(f.Src, f.SrcShift, f.SrcSize);
                EmitExtend(ref f);
                return false;
            case FastKind.ExtendRM:
                EffectiveAddress(ref f);
                Load(f.Seg, f.SrcSize, k);
                _il.Emit(OpCodes.Ldloc, _val);
                Mask(f.SrcSize);
                EmitExtend(ref f);
                return false;
            case FastKind.Push:
                LdReg(f.Src);
                _il.Emit(OpCodes.Stloc, _val);
                LdReg(4);
                _il.Emit(OpCodes.Ldc_I8, 8L);
                _il.Emit(OpCodes.Sub);
                _il.Emit(OpCodes.Stloc, _ea);
                Store(Seg.Ss, 8, k);
                StReg(4, _ea);
                return true;
            case FastKind.Pop:
                LdReg(4);
                _il.Emit(OpCodes.Stloc, _ea);
                Load(Seg.Ss, 8, k);
                _il.Emit(OpCodes.Ldloc, _ea);
                _il.Emit(OpCodes.Ldc_I8, 8L);
                _il.Emit(OpCodes.Add);
                _il.Emit(OpCodes.Stloc, _ea);
                StReg(4, _ea);
                Write(f.Dst, 0, 8, _val); // POP RSP loads the popped value
                return false;
            case FastKind.SetccR:
                Cond(f.Sub);
                _il.Emit(OpCodes.Conv_U8);
                _il.Emit(OpCodes.Stloc, _val);
                Write(f.Dst, f.DstShift, 1, _val);
                return false;
            case FastKind.CmovRR:
                Read(f.Src, f.SrcShift, size);
                _il.Emit(OpCodes.Stloc, _val);
                EmitCmov(ref f);
                return false;
            case FastKind.CmovRM:
                // The source is read (and may fault) whatever the condition.
                EffectiveAddress(ref f);
                Load(f.Seg, size, k);
                EmitCmov(ref f);
                return false;
            case FastKind.XchgRR:
                Read(f.Dst, f.DstShift, size);
                _il.Emit(OpCodes.Stloc, _d);
                Read(f.Src, f.SrcShift, size);
                _il.Emit(OpCodes.Stloc, _s2);
                Write(f.Dst, f.DstShift, size, _s2);
                Write(f.Src, f.SrcShift, size, _d);
                return false;
            case FastKind.ShiftR:
                EmitShift(ref f);
                return false;
            case FastKind.ImulR:
                Read(f.Src, f.SrcShift, size);
                _il.Emit(OpCodes.Stloc, _s2);
                EmitImul(ref f);
                return false;
            case FastKind.ImulM:
                LoadSource(ref f, size, k);
                EmitImul(ref f);
                return false;
            case FastKind.NegNotR:
            {
                Read(f.Dst, f.DstShift, size);
                _il.Emit(OpCodes.Stloc, _s2);
                if (f.Sub == 0)
                {
                    _il.Emit(OpCodes.Ldloc, _s2);
                    _il.Emit(OpCodes.Not);
                    Mask(size);
                    _il.Emit(OpCodes.Stloc, _res);
                    Write(f.Dst, f.DstShift, size, _res);
                    return false; // NOT leaves the flags alone
                }
                _il.Emit(OpCodes.Ldc_I8, 0L);
                _il.Emit(OpCodes.Ldloc, _s2);
                _il.Emit(OpCodes.Sub);
                Mask(size);
                _il.Emit(OpCodes.Stloc, _res);
                Write(f.Dst, f.DstShift, size, _res);
                if (_flagsDead[k]) return false;
                _il.Emit(OpCodes.Ldc_I8, 0L);
                _il.Emit(OpCodes.Stloc, _d);
                SetLazy(FlagOp.Sub, size * 8, null); // the interpreter's record: 0 - dst
                return false;
            }
            default:
                // Memory read-modify-write, bit tests, multiplies, divides: the fast path's own code, on the written-back state.
                EmitFallback(ref f, k, next);
                return true;
        }
    }

    private void EmitFallback(ref FastOp f, int k, ulong next)
    {
        Flush();
        _dirty = 0;
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldc_I4, _opsBase + k);
        _il.Emit(OpCodes.Ldelema, typeof(FastOp));
        _il.Emit(OpCodes.Ldc_I8, (long)next);
        _il.Emit(OpCodes.Call, Fallback);
        FaultIfFalse(k);
        int written = f.Kind switch
        {
            FastKind.BtRR or FastKind.BtRI => 1 << f.Dst,
            FastKind.MulR or FastKind.MulM or FastKind.DivR or FastKind.DivM => 1 | 1 << 2,
            FastKind.AluMR or FastKind.AluMI or FastKind.IncDecM or FastKind.ShiftM or FastKind.SetccM => 0,
            _ => _used,
        };
        Reload(written);
    }

    /// <summary>ALU op on a register destination with the masked source in _s2 (the fast path's FastAluReg).</summary>
    private void EmitAluReg(ref FastOp f)
    {
        int size = f.Size, bits = size * 8;
        var op = (FastAlu)f.Sub;
        Read(f.Dst, f.DstShift, size);
        _il.Emit(OpCodes.Stloc, _d);
        _il.Emit(OpCodes.Ldloc, _d);
        _il.Emit(OpCodes.Ldloc, _s2);
        switch (op)
        {
            case FastAlu.Add: _il.Emit(OpCodes.Add); break;
            case FastAlu.Adc:
                _il.Emit(OpCodes.Add);
                _il.Emit(OpCodes.Ldarg_0);
                _il.Emit(OpCodes.Call, CarryHelper);
                _il.Emit(OpCodes.Add);
                break;
            case FastAlu.Sub: case FastAlu.Cmp: _il.Emit(OpCodes.Sub); break;
            case FastAlu.Sbb:
                _il.Emit(OpCodes.Sub);
                _il.Emit(OpCodes.Ldarg_0);
                _il.Emit(OpCodes.Call, CarryHelper);
                _il.Emit(OpCodes.Sub);
                break;
            case FastAlu.And: case FastAlu.Test: _il.Emit(OpCodes.And); break;
            case FastAlu.Or: _il.Emit(OpCodes.Or); break;
            default: _il.Emit(OpCodes.Xor); break;
        }
        Mask(size);
        _il.Emit(OpCodes.Stloc, _res);
        if (op is not (FastAlu.Cmp or FastAlu.Test)) Write(f.Dst, f.DstShift, size, _res);
        FlagOp fo = op switch
        {
            FastAlu.Add or FastAlu.Adc => FlagOp.Add,
            FastAlu.Sub or FastAlu.Sbb or FastAlu.Cmp => FlagOp.Sub,
            _ => FlagOp.Logic,
        };
        if (!_flagsDead[_current]) SetLazy(fo, bits, null);
        // SBB's result is not dst - src when it borrowed: only CMP/SUB and the logic ops fuse.
        if (op is not (FastAlu.Adc or FastAlu.Sbb or FastAlu.Add))
        {
            _fuseIndex = _current;
            _fuseOp = fo;
            _fuseBits = bits;
        }
    }

    /// <summary>
    /// IMUL r, r/m (destination times source) or IMUL r, r/m, imm with the source in _s2: with its flags dead the
    /// truncated product is a plain multiply (the same for signed operands); otherwise the fast path's ImulTruncated.
    /// </summary>
    private void EmitImul(ref FastOp f)
    {
        bool dead = _flagsDead[_current];
        if (!dead) _il.Emit(OpCodes.Ldarg_0);
        if (f.SrcSize != 0)
        {
            _il.Emit(OpCodes.Ldloc, _s2);
            _il.Emit(OpCodes.Ldc_I8, (long)f.Imm);
        }
        else
        {
            Read(f.Dst, f.DstShift, f.Size);
            _il.Emit(OpCodes.Ldloc, _s2);
        }
        if (dead)
        {
            _il.Emit(OpCodes.Mul);
            Mask(f.Size);
        }
        else
        {
            _il.Emit(OpCodes.Ldc_I4, (int)f.Size);
            _il.Emit(OpCodes.Call, ImulHelper);
        }
        _il.Emit(OpCodes.Stloc, _res);
        Write(f.Dst, f.DstShift, f.Size, _res);
    }

    /// <summary>MOVZX/MOVSX/MOVSXD with the masked source on the stack.</summary>
    private void EmitExtend(ref FastOp f)
    {
        if (f.Sub != 0 && f.SrcSize < 8)
        {
            int sh = 64 - f.SrcSize * 8;
            _il.Emit(OpCodes.Ldc_I4, sh);
            _il.Emit(OpCodes.Shl);
            _il.Emit(OpCodes.Ldc_I4, sh);
            _il.Emit(OpCodes.Shr);
        }
        _il.Emit(OpCodes.Stloc, _val);
        Write(f.Dst, f.DstShift, f.Size, _val);
    }

    /// <summary>CMOVcc with the source in _val; a 32-bit destination is zero-extended even when the condition is false.</summary>
    private void EmitCmov(ref FastOp f)
    {
        Label keep = _il.DefineLabel(), done = _il.DefineLabel();
        Cond(f.Sub);
        _il.Emit(OpCodes.Brfalse, keep);
        _il.Emit(OpCodes.Ldloc, _val);
        _il.Emit(OpCodes.Stloc, _res);
        _il.Emit(OpCodes.Br, done);
        _il.MarkLabel(keep);
        Read(f.Dst, f.DstShift, f.Size);
        _il.Emit(OpCodes.Stloc, _res);
        _il.MarkLabel(done);
        Write(f.Dst, f.DstShift, f.Size, _res);
    }

    /// <summary>Shift or rotate of a register: a zero count changes nothing but still zero-extends a 32-bit register.</summary>
    private void EmitShift(ref FastOp f)
    {
        int size = f.Size;
        if (f.SrcSize == 0)
        {
            int c = ConstantShiftCount(ref f);
            if (c == 0)
            {
                // No flags change, but a 32-bit register destination is still zero-extended.
                Read(f.Dst, f.DstShift, size);
                _il.Emit(OpCodes.Stloc, _res);
                Write(f.Dst, f.DstShift, size, _res);
                return;
            }
            if (_flagsDead[_current])
            {
                EmitShiftValueOnly(ref f, c);
                return;
            }
        }
        ulong countMask = size == 8 ? 0x3FUL : 0x1FUL;
        Label zero = _il.DefineLabel(), done = _il.DefineLabel();
        if (f.SrcSize != 0)
        {
            LdReg(1);
            _il.Emit(OpCodes.Ldc_I8, (long)(0xFF & countMask));
            _il.Emit(OpCodes.And);
        }
        else _il.Emit(OpCodes.Ldc_I8, (long)(f.Imm & countMask));
        _il.Emit(OpCodes.Stloc, _s2);
        Read(f.Dst, f.DstShift, size);
        _il.Emit(OpCodes.Stloc, _d);
        _il.Emit(OpCodes.Ldloc, _s2);
        _il.Emit(OpCodes.Brfalse, zero);
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Ldc_I4, (int)f.Sub);
        _il.Emit(OpCodes.Ldc_I4, size);
        _il.Emit(OpCodes.Ldloc, _d);
        _il.Emit(OpCodes.Ldloc, _s2);
        _il.Emit(OpCodes.Conv_I4);
        _il.Emit(OpCodes.Call, ShiftHelper);
        _il.Emit(OpCodes.Stloc, _res);
        _il.Emit(OpCodes.Br, done);
        _il.MarkLabel(zero);
        _il.Emit(OpCodes.Ldloc, _d);
        _il.Emit(OpCodes.Stloc, _res);
        _il.MarkLabel(done);
        Write(f.Dst, f.DstShift, size, _res);
    }
}
