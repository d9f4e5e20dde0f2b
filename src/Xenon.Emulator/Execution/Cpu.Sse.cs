using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Iced.Intel;
using Xenon.Emulator.State;

namespace Xenon.Emulator.Execution;

/// <summary>
/// SSE/SSE2 on XMM registers: moves, integer and logical vector ops, shuffles/unpacks/packs, scalar and packed float
/// arithmetic, compares and conversions; plus MXCSR and the x87/SSE state instructions. Float arithmetic uses the host's
/// IEEE doubles/floats (round-to-nearest; MXCSR.RC applies to float→int conversions; exception flags are not recorded).
/// MMX (mm registers) is not emulated.
/// </summary>
public sealed partial class Cpu
{
    private static Span<T> Lanes<T>(ref Vector128<ulong> v) where T : struct =>
        MemoryMarshal.Cast<Vector128<ulong>, T>(new Span<Vector128<ulong>>(ref v));

    private static bool IsXmm(Register r) => r is >= Register.XMM0 and <= Register.XMM15;

    private Vector128<ulong> _noXmm;

    /// <summary>The XMM register; a non-XMM operand (a handler bug, never a guest choice) gets a scratch slot, not a crash.</summary>
    private ref Vector128<ulong> Xmm(Register r)
    {
        int n = r - Register.XMM0;
        if ((uint)n < 16) return ref _s.Xmm[n];
        _noXmm = default;
        return ref _noXmm;
    }

    /// <summary>#UD without OSFXSR or with CR0.EM, #NM with CR0.TS.</summary>
    private bool SseUsable()
    {
        if ((_s.Cr4 & ControlBits.Cr4OSFXSR) == 0 || (_s.Cr0 & ControlBits.Cr0EM) != 0) return Fault(Vector.UD);
        if ((_s.Cr0 & ControlBits.Cr0TS) != 0) return Fault(Vector.NM);
        return true;
    }

    /// <summary>Aligned forms: a misaligned 16-byte memory operand is #GP(0).</summary>
    private static bool NeedsAlignment(Mnemonic m) => m is not (Mnemonic.Movups or Mnemonic.Movupd or Mnemonic.Movdqu);

    /// <summary>Reads operand n as 128 bits: an XMM register, or memory of the operand's size zero-extended.</summary>
    private bool ReadXmmOp(in Instruction i, int n, out Vector128<ulong> v)
    {
        v = default;
        OpKind k = i.GetOpKind(n);
        if (k == OpKind.Register)
        {
            Register r = i.GetOpRegister(n);
            if (IsXmm(r)) v = Xmm(r);
            else v = Vector128.Create(ReadReg(r), 0UL);
            return true;
        }
        if (k != OpKind.Memory)
        {
            v = Vector128.Create(i.GetImmediate(n), 0UL);
            return true;
        }
        int size = i.MemorySize.GetSize();
        if (!MemLinear(i, out ulong lin)) return false;
        if (size == 16)
        {
            if ((lin & 15) != 0 && NeedsAlignment(i.Mnemonic)) return Fault(Vector.GP, 0);
            if (!ReadLinear(lin, 8, out ulong lo) || !ReadLinear(lin + 8, 8, out ulong hi)) return false;
            v = Vector128.Create(lo, hi);
            return true;
        }
        if (!ReadLinear(lin, Math.Min(size, 8), out ulong x)) return false;
        v = Vector128.Create(x, 0UL);
        return true;
    }

    private bool WriteXmmMem(in Instruction i, Vector128<ulong> v, int size)
    {
        if (!MemLinear(i, out ulong lin)) return false;
        if (size == 16)
        {
            if ((lin & 15) != 0 && NeedsAlignment(i.Mnemonic)) return Fault(Vector.GP, 0);
            if (!TranslateRange(lin, 16, Memory.AccessKind.Write, UserAccess, out _)) return false;
            return WriteLinear(lin, 8, v.GetElement(0)) && WriteLinear(lin + 8, 8, v.GetElement(1));
        }
        return WriteLinear(lin, size, v.GetElement(0) & SizeMask(size));
    }

    private bool ExecSse(in Instruction i)
    {
        Mnemonic m = i.Mnemonic;
        switch (m)
        {
            case Mnemonic.Fninit:
                _s.Fcw = 0x37F; _s.Fsw = 0; _s.Ftw = 0; _s.Fop = 0; _s.Fip = 0; _s.Fdp = 0;
                return true;
            case Mnemonic.Fnclex:
                _s.Fsw &= 0x7F00;
                return true;
            case Mnemonic.Fnstcw:
                return MemLinear(i, out ulong cwAddr) && WriteLinear(cwAddr, 2, _s.Fcw);
            case Mnemonic.Fldcw:
            {
                if (!MemLinear(i, out ulong a) || !ReadLinear(a, 2, out ulong cw)) return false;
                _s.Fcw = (ushort)cw;
                return true;
            }
            case Mnemonic.Fnstsw:
                if (i.Op0Kind == OpKind.Register)
                {
                    WriteReg(Register.AX, _s.Fsw);
                    return true;
                }
                return MemLinear(i, out ulong swAddr) && WriteLinear(swAddr, 2, _s.Fsw);
            case Mnemonic.Emms:
                _s.Ftw = 0;
                return true;
            case Mnemonic.Fxsave: case Mnemonic.Fxsave64: return ExecFxsave(i);
            case Mnemonic.Fxrstor: case Mnemonic.Fxrstor64: return ExecFxrstor(i);
            case Mnemonic.Movnti:
                return ReadOp(i, 1, out ulong nt) && MemLinear(i, out ulong ntAddr) && WriteLinear(ntAddr, OpSize(i, 1), nt);
        }

        // Everything below works on XMM registers; MMX forms (mm operands) are not emulated.
        for (int n = 0; n < i.OpCount; n++)
            if (i.GetOpKind(n) == OpKind.Register && i.GetOpRegister(n) is >= Register.MM0 and <= Register.MM7) return Unimplemented(i);
        if (!HasXmmOperand(i)) return Unimplemented(i);
        if (!SseUsable()) return false;

        switch (m)
        {
            case Mnemonic.Ldmxcsr:
            {
                if (!MemLinear(i, out ulong a) || !ReadLinear(a, 4, out ulong v)) return false;
                if ((v & ~MxcsrMask) != 0) return Fault(Vector.GP, 0);
                _s.Mxcsr = (uint)v;
                return true;
            }
            case Mnemonic.Stmxcsr:
                return MemLinear(i, out ulong sa) && WriteLinear(sa, 4, _s.Mxcsr);

            case Mnemonic.Movaps: case Mnemonic.Movups: case Mnemonic.Movapd: case Mnemonic.Movupd: case Mnemonic.Movdqa:
            case Mnemonic.Movdqu: case Mnemonic.Movntdq: case Mnemonic.Movntps: case Mnemonic.Movntpd:
            {
                if (!ReadXmmOp(i, 1, out var v)) return false;
                if (i.Op0Kind == OpKind.Register) { Xmm(i.Op0Register) = v; return true; }
                return WriteXmmMem(i, v, 16);
            }
            case Mnemonic.Movd: case Mnemonic.Movq:
                return ExecMovdq(i);
            case Mnemonic.Movss: case Mnemonic.Movsd:
            {
                int size = m == Mnemonic.Movss ? 4 : 8;
                if (i.Op0Kind == OpKind.Memory) return WriteXmmMem(i, Xmm(i.Op1Register), size);
                if (!ReadXmmOp(i, 1, out var v)) return false;
                ref var d = ref Xmm(i.Op0Register);
                if (i.Op1Kind == OpKind.Memory) d = v; // a load zeroes the rest
                else if (size == 8) d = d.WithElement(0, v.GetElement(0));
                else d = d.AsUInt32().WithElement(0, v.AsUInt32().GetElement(0)).AsUInt64();
                return true;
            }
            case Mnemonic.Movlps: case Mnemonic.Movlpd: case Mnemonic.Movhps: case Mnemonic.Movhpd:
            {
                int lane = m is Mnemonic.Movhps or Mnemonic.Movhpd ? 1 : 0;
                if (i.Op0Kind == OpKind.Memory)
                    return MemLinear(i, out ulong a) && WriteLinear(a, 8, Xmm(i.Op1Register).GetElement(lane));
                if (!ReadXmmOp(i, 1, out var v)) return false;
                ref var d = ref Xmm(i.Op0Register);
                d = d.WithElement(lane, v.GetElement(0));
                return true;
            }
            case Mnemonic.Movhlps:
                Xmm(i.Op0Register) = Xmm(i.Op0Register).WithElement(0, Xmm(i.Op1Register).GetElement(1));
                return true;
            case Mnemonic.Movlhps:
                Xmm(i.Op0Register) = Xmm(i.Op0Register).WithElement(1, Xmm(i.Op1Register).GetElement(0));
                return true;
            case Mnemonic.Movmskps:
                WriteReg(i.Op0Register, Vector128.ExtractMostSignificantBits(Xmm(i.Op1Register).AsUInt32()));
                return true;
            case Mnemonic.Movmskpd:
                WriteReg(i.Op0Register, Vector128.ExtractMostSignificantBits(Xmm(i.Op1Register)));
                return true;
            case Mnemonic.Pmovmskb:
                WriteReg(i.Op0Register, Vector128.ExtractMostSignificantBits(Xmm(i.Op1Register).AsByte()));
                return true;
            case Mnemonic.Pextrw:
                WriteReg(i.Op0Register, Xmm(i.Op1Register).AsUInt16().GetElement(i.Immediate8 & 7));
                return true;
            case Mnemonic.Pinsrw:
            {
                if (!ReadOp(i, 1, out ulong w)) return false;
                ref var d = ref Xmm(i.Op0Register);
                d = d.AsUInt16().WithElement(i.Immediate8 & 7, (ushort)w).AsUInt64();
                return true;
            }
            case Mnemonic.Pslldq: case Mnemonic.Psrldq:
            {
                ref var d = ref Xmm(i.Op0Register);
                int sh = Math.Min((int)i.Immediate8, 16) * 8;
                UInt128 x = ((UInt128)d.GetElement(1) << 64) | d.GetElement(0);
                x = sh >= 128 ? 0 : m == Mnemonic.Pslldq ? x << sh : x >> sh;
                d = Vector128.Create((ulong)x, (ulong)(x >> 64));
                return true;
            }
        }

        if (!ReadXmmOp(i, i.OpCount >= 2 ? 1 : 0, out Vector128<ulong> src)) return false;
        if (IsConversionToGpr(m)) return ExecCvtToGpr(i, src);
        // From here on the destination is an XMM register; other shapes (MASKMOVDQU, SSE4a stores...) are not emulated.
        if (i.Op0Kind != OpKind.Register || !IsXmm(i.Op0Register)) return Unimplemented(i);
        if (m is Mnemonic.Comiss or Mnemonic.Ucomiss or Mnemonic.Comisd or Mnemonic.Ucomisd)
        {
            ExecComi(m, Xmm(i.Op0Register), src);
            return true;
        }
        if (m is Mnemonic.Cvtsi2ss or Mnemonic.Cvtsi2sd)
        {
            long s = OpSize(i, 1) == 8 ? (long)src.GetElement(0) : (int)src.GetElement(0);
            ref var d = ref Xmm(i.Op0Register);
            if (m == Mnemonic.Cvtsi2sd) d = d.WithElement(0, (ulong)BitConverter.DoubleToInt64Bits(s));
            else d = d.AsUInt32().WithElement(0, BitConverter.SingleToUInt32Bits(s)).AsUInt64();
            return true;
        }
        ref Vector128<ulong> dst = ref Xmm(i.Op0Register);
        Vector128<ulong> result = dst;
        if (!SseOp(i, m, ref result, src)) return Unimplemented(i);
        dst = result;
        return true;
    }

    private const uint MxcsrMask = 0xFFFF;

    private static bool IsConversionToGpr(Mnemonic m) => m is Mnemonic.Cvttss2si or Mnemonic.Cvttsd2si or Mnemonic.Cvtss2si or Mnemonic.Cvtsd2si;

    private bool ExecMovdq(in Instruction i)
    {
        // MOVD/MOVQ between XMM and GPR/memory, and MOVQ xmm, xmm/m64 (zero-extending).
        if (i.Op0Kind == OpKind.Register && IsXmm(i.Op0Register))
        {
            if (!ReadXmmOp(i, 1, out var v)) return false;
            int size = i.Op1Kind == OpKind.Register && !IsXmm(i.Op1Register) ? RegSize(i.Op1Register) : i.Op1Kind == OpKind.Memory ? i.MemorySize.GetSize() : 8;
            Xmm(i.Op0Register) = Vector128.Create(v.GetElement(0) & SizeMask(size), 0UL);
            return true;
        }
        Vector128<ulong> x = Xmm(i.Op1Register);
        if (i.Op0Kind == OpKind.Register)
        {
            WriteReg(i.Op0Register, x.GetElement(0));
            return true;
        }
        return WriteXmmMem(i, x, i.MemorySize.GetSize());
    }

    private void ExecComi(Mnemonic m, Vector128<ulong> a, Vector128<ulong> b)
    {
        double x, y;
        if (m is Mnemonic.Comiss or Mnemonic.Ucomiss)
        {
            x = a.AsSingle().GetElement(0);
            y = b.AsSingle().GetElement(0);
        }
        else
        {
            x = a.AsDouble().GetElement(0);
            y = b.AsDouble().GetElement(0);
        }
        ulong f = double.IsNaN(x) || double.IsNaN(y) ? RFlags.ZF | RFlags.PF | RFlags.CF
            : x < y ? RFlags.CF : x == y ? RFlags.ZF : 0;
        _s.Lazy.SetAll(f);
    }

    private bool ExecCvtToGpr(in Instruction i, Vector128<ulong> src)
    {
        Mnemonic m = i.Mnemonic;
        double v = m is Mnemonic.Cvttss2si or Mnemonic.Cvtss2si ? src.AsSingle().GetElement(0) : src.AsDouble().GetElement(0);
        bool truncate = m is Mnemonic.Cvttss2si or Mnemonic.Cvttsd2si;
        int size = RegSize(i.Op0Register);
        WriteReg(i.Op0Register, ToInteger(v, truncate, size));
        return true;
    }

    /// <summary>Float → integer with MXCSR.RC (or truncation); NaN and out-of-range give the "integer indefinite" value.</summary>
    private ulong ToInteger(double v, bool truncate, int size)
    {
        double r = truncate ? Math.Truncate(v) : ((_s.Mxcsr >> 13) & 3) switch
        {
            0 => Math.Round(v, MidpointRounding.ToEven),
            1 => Math.Floor(v),
            2 => Math.Ceiling(v),
            _ => Math.Truncate(v),
        };
        if (size == 8)
        {
            if (double.IsNaN(r) || r >= 9223372036854775808.0 || r < -9223372036854775808.0) return 0x8000000000000000;
            return (ulong)(long)r;
        }
        if (double.IsNaN(r) || r >= 2147483648.0 || r < -2147483648.0) return 0x80000000;
        return (uint)(int)r;
    }

    private bool ExecFxsave(in Instruction i)
    {
        if ((_s.Cr0 & (ControlBits.Cr0TS | ControlBits.Cr0EM)) != 0) return Fault((_s.Cr0 & ControlBits.Cr0EM) != 0 ? Vector.UD : Vector.NM);
        if (!MemLinear(i, out ulong a)) return false;
        if ((a & 15) != 0) return Fault(Vector.GP, 0);
        if (!TranslateRange(a, 256, Memory.AccessKind.Write, UserAccess, out _) ||
            !TranslateRange(a + 256, 256, Memory.AccessKind.Write, UserAccess, out _)) return false;
        Span<ulong> img = stackalloc ulong[64];
        img.Clear();
        img[0] = _s.Fcw | ((ulong)_s.Fsw << 16) | ((ulong)_s.Ftw << 32) | ((ulong)_s.Fop << 48);
        img[1] = _s.Fip;
        img[2] = _s.Fdp;
        img[3] = _s.Mxcsr | ((ulong)MxcsrMask << 32);
        for (int k = 0; k < 8; k++)
        {
            img[4 + 2 * k] = (ulong)_s.St[k];
            img[5 + 2 * k] = (ulong)(_s.St[k] >> 64) & 0xFFFF;
        }
        int xmms = i.Mnemonic == Mnemonic.Fxsave64 || _s.Is64BitCode ? 16 : 8;
        for (int k = 0; k < xmms; k++)
        {
            img[20 + 2 * k] = _s.Xmm[k].GetElement(0);
            img[21 + 2 * k] = _s.Xmm[k].GetElement(1);
        }
        // Bytes 464..511 are left as they are (software may keep data there).
        for (int k = 0; k < 58; k++)
            if (!WriteLinear(a + (ulong)k * 8, 8, img[k])) return false;
        return true;
    }

    private bool ExecFxrstor(in Instruction i)
    {
        if ((_s.Cr0 & (ControlBits.Cr0TS | ControlBits.Cr0EM)) != 0) return Fault((_s.Cr0 & ControlBits.Cr0EM) != 0 ? Vector.UD : Vector.NM);
        if (!MemLinear(i, out ulong a)) return false;
        if ((a & 15) != 0) return Fault(Vector.GP, 0);
        Span<ulong> img = stackalloc ulong[52];
        for (int k = 0; k < 52; k++)
            if (!ReadLinear(a + (ulong)k * 8, 8, out img[k])) return false;
        uint mxcsr = (uint)img[3];
        if ((mxcsr & ~MxcsrMask) != 0) return Fault(Vector.GP, 0);
        _s.Fcw = (ushort)img[0];
        _s.Fsw = (ushort)(img[0] >> 16);
        _s.Ftw = (byte)(img[0] >> 32);
        _s.Fop = (ushort)(img[0] >> 48);
        _s.Fip = img[1];
        _s.Fdp = img[2];
        _s.Mxcsr = mxcsr;
        for (int k = 0; k < 8; k++) _s.St[k] = ((UInt128)(img[5 + 2 * k] & 0xFFFF) << 64) | img[4 + 2 * k];
        int xmms = i.Mnemonic == Mnemonic.Fxrstor64 || _s.Is64BitCode ? 16 : 8;
        for (int k = 0; k < xmms; k++) _s.Xmm[k] = Vector128.Create(img[20 + 2 * k], img[21 + 2 * k]);
        return true;
    }
}
