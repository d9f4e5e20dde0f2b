using System.Runtime.Intrinsics;
using Iced.Intel;

namespace Xenon.Emulator.Execution;

/// <summary>The XMM-to-XMM operations: d = op(d, s) lane by lane, with the x86 semantics spelled out where .NET's differ.</summary>
public sealed partial class Cpu
{
    /// <summary>Legacy-encoded instructions with an XMM operand (VEX/EVEX forms are #UD: no AVX), and LDMXCSR/STMXCSR.</summary>
    private static bool HasXmmOperand(in Instruction i)
    {
        if (i.Encoding != EncodingKind.Legacy) return false;
        for (int n = 0; n < i.OpCount; n++)
            if (i.GetOpKind(n) == OpKind.Register && IsXmm(i.GetOpRegister(n))) return true;
        return i.Mnemonic is Mnemonic.Ldmxcsr or Mnemonic.Stmxcsr || IsConversionToGpr(i.Mnemonic);
    }

    private static Vector128<ulong> V(Vector128<byte> v) => v.AsUInt64();
    private static Vector128<ulong> V(Vector128<ushort> v) => v.AsUInt64();
    private static Vector128<ulong> V(Vector128<uint> v) => v.AsUInt64();
    private static Vector128<ulong> V(Vector128<float> v) => v.AsUInt64();
    private static Vector128<ulong> V(Vector128<double> v) => v.AsUInt64();

    private bool SseOp(in Instruction i, Mnemonic m, ref Vector128<ulong> d, Vector128<ulong> s)
    {
        switch (m)
        {
            // Logic
            case Mnemonic.Pand: case Mnemonic.Andps: case Mnemonic.Andpd: d &= s; return true;
            case Mnemonic.Pandn: case Mnemonic.Andnps: case Mnemonic.Andnpd: d = ~d & s; return true;
            case Mnemonic.Por: case Mnemonic.Orps: case Mnemonic.Orpd: d |= s; return true;
            case Mnemonic.Pxor: case Mnemonic.Xorps: case Mnemonic.Xorpd: d ^= s; return true;

            // Integer add/sub/compare/min/max
            case Mnemonic.Paddb: d = V(d.AsByte() + s.AsByte()); return true;
            case Mnemonic.Paddw: d = V(d.AsUInt16() + s.AsUInt16()); return true;
            case Mnemonic.Paddd: d = V(d.AsUInt32() + s.AsUInt32()); return true;
            case Mnemonic.Paddq: d += s; return true;
            case Mnemonic.Psubb: d = V(d.AsByte() - s.AsByte()); return true;
            case Mnemonic.Psubw: d = V(d.AsUInt16() - s.AsUInt16()); return true;
            case Mnemonic.Psubd: d = V(d.AsUInt32() - s.AsUInt32()); return true;
            case Mnemonic.Psubq: d -= s; return true;
            case Mnemonic.Pcmpeqb: d = V(Vector128.Equals(d.AsByte(), s.AsByte())); return true;
            case Mnemonic.Pcmpeqw: d = V(Vector128.Equals(d.AsUInt16(), s.AsUInt16())); return true;
            case Mnemonic.Pcmpeqd: d = V(Vector128.Equals(d.AsUInt32(), s.AsUInt32())); return true;
            case Mnemonic.Pcmpgtb: d = Vector128.GreaterThan(d.AsSByte(), s.AsSByte()).AsUInt64(); return true;
            case Mnemonic.Pcmpgtw: d = Vector128.GreaterThan(d.AsInt16(), s.AsInt16()).AsUInt64(); return true;
            case Mnemonic.Pcmpgtd: d = Vector128.GreaterThan(d.AsInt32(), s.AsInt32()).AsUInt64(); return true;
            case Mnemonic.Pminub: d = V(Vector128.Min(d.AsByte(), s.AsByte())); return true;
            case Mnemonic.Pmaxub: d = V(Vector128.Max(d.AsByte(), s.AsByte())); return true;
            case Mnemonic.Pminsw: d = Vector128.Min(d.AsInt16(), s.AsInt16()).AsUInt64(); return true;
            case Mnemonic.Pmaxsw: d = Vector128.Max(d.AsInt16(), s.AsInt16()).AsUInt64(); return true;
            case Mnemonic.Paddusb: case Mnemonic.Psubusb: case Mnemonic.Paddsb: case Mnemonic.Psubsb: case Mnemonic.Pavgb:
                SaturateBytes(m, ref d, s);
                return true;
            case Mnemonic.Paddusw: case Mnemonic.Psubusw: case Mnemonic.Paddsw: case Mnemonic.Psubsw: case Mnemonic.Pavgw:
            case Mnemonic.Pmullw: case Mnemonic.Pmulhw: case Mnemonic.Pmulhuw:
                WordOp(m, ref d, s);
                return true;
            case Mnemonic.Pmuludq:
                d = Vector128.Create((d.GetElement(0) & 0xFFFFFFFF) * (s.GetElement(0) & 0xFFFFFFFF),
                    (d.GetElement(1) & 0xFFFFFFFF) * (s.GetElement(1) & 0xFFFFFFFF));
                return true;
            case Mnemonic.Pmaddwd:
            {
                var a = Lanes<short>(ref d);
                var b = Lanes<short>(ref s);
                Span<int> r = stackalloc int[4];
                for (int k = 0; k < 4; k++) r[k] = (int)((long)a[2 * k] * b[2 * k] + (long)a[2 * k + 1] * b[2 * k + 1]);
                d = Vector128.Create(r[0], r[1], r[2], r[3]).AsUInt64();
                return true;
            }
            case Mnemonic.Psadbw:
            {
                var a = Lanes<byte>(ref d);
                var b = Lanes<byte>(ref s);
                ulong lo = 0, hi = 0;
                for (int k = 0; k < 8; k++)
                {
                    lo += (ulong)Math.Abs(a[k] - b[k]);
                    hi += (ulong)Math.Abs(a[k + 8] - b[k + 8]);
                }
                d = Vector128.Create(lo, hi);
                return true;
            }

            // Shifts: by XMM/m128 count or imm8.
            case Mnemonic.Psllw: case Mnemonic.Pslld: case Mnemonic.Psllq: case Mnemonic.Psrlw: case Mnemonic.Psrld: case Mnemonic.Psrlq:
            case Mnemonic.Psraw: case Mnemonic.Psrad:
            {
                ulong count = i.Op1Kind == OpKind.Immediate8 ? i.Immediate8 : s.GetElement(0);
                ShiftLanes(m, ref d, count);
                return true;
            }

            // Shuffles, unpacks, packs
            case Mnemonic.Pshufd:
            {
                var a = s.AsUInt32();
                int imm = i.Immediate8;
                d = Vector128.Create(a.GetElement(imm & 3), a.GetElement((imm >> 2) & 3), a.GetElement((imm >> 4) & 3), a.GetElement((imm >> 6) & 3)).AsUInt64();
                return true;
            }
            case Mnemonic.Pshuflw: case Mnemonic.Pshufhw:
            {
                var a = s.AsUInt16();
                int imm = i.Immediate8;
                int b = m == Mnemonic.Pshufhw ? 4 : 0;
                var r = a;
                for (int k = 0; k < 4; k++) r = r.WithElement(b + k, a.GetElement(b + ((imm >> (2 * k)) & 3)));
                d = r.AsUInt64();
                return true;
            }
            case Mnemonic.Shufps:
            {
                var a = d.AsUInt32();
                var b = s.AsUInt32();
                int imm = i.Immediate8;
                d = Vector128.Create(a.GetElement(imm & 3), a.GetElement((imm >> 2) & 3), b.GetElement((imm >> 4) & 3), b.GetElement((imm >> 6) & 3)).AsUInt64();
                return true;
            }
            case Mnemonic.Shufpd:
                d = Vector128.Create(d.GetElement(i.Immediate8 & 1), s.GetElement((i.Immediate8 >> 1) & 1));
                return true;
            case Mnemonic.Punpcklbw: case Mnemonic.Punpckhbw: Interleave<byte>(ref d, s, m == Mnemonic.Punpckhbw); return true;
            case Mnemonic.Punpcklwd: case Mnemonic.Punpckhwd: Interleave<ushort>(ref d, s, m == Mnemonic.Punpckhwd); return true;
            case Mnemonic.Punpckldq: case Mnemonic.Punpckhdq: case Mnemonic.Unpcklps: case Mnemonic.Unpckhps:
                Interleave<uint>(ref d, s, m is Mnemonic.Punpckhdq or Mnemonic.Unpckhps);
                return true;
            case Mnemonic.Punpcklqdq: case Mnemonic.Unpcklpd: d = Vector128.Create(d.GetElement(0), s.GetElement(0)); return true;
            case Mnemonic.Punpckhqdq: case Mnemonic.Unpckhpd: d = Vector128.Create(d.GetElement(1), s.GetElement(1)); return true;
            case Mnemonic.Packsswb: case Mnemonic.Packuswb: case Mnemonic.Packssdw:
                Pack(m, ref d, s);
                return true;
        }
        return FloatOp(i, m, ref d, s);
    }

    private static void Interleave<T>(ref Vector128<ulong> d, Vector128<ulong> s, bool high) where T : struct
    {
        Vector128<ulong> a = d, b = s, r = default;
        var la = Lanes<T>(ref a);
        var lb = Lanes<T>(ref b);
        var lr = Lanes<T>(ref r);
        int half = la.Length / 2, off = high ? half : 0;
        for (int k = 0; k < half; k++)
        {
            lr[2 * k] = la[off + k];
            lr[2 * k + 1] = lb[off + k];
        }
        d = r;
    }

    private static void SaturateBytes(Mnemonic m, ref Vector128<ulong> d, Vector128<ulong> s)
    {
        Vector128<ulong> r = default;
        var a = Lanes<byte>(ref d);
        var b = Lanes<byte>(ref s);
        var o = Lanes<byte>(ref r);
        for (int k = 0; k < 16; k++)
        {
            o[k] = m switch
            {
                Mnemonic.Paddusb => (byte)Math.Min(a[k] + b[k], 255),
                Mnemonic.Psubusb => (byte)Math.Max(a[k] - b[k], 0),
                Mnemonic.Paddsb => (byte)(sbyte)Math.Clamp((sbyte)a[k] + (sbyte)b[k], -128, 127),
                Mnemonic.Psubsb => (byte)(sbyte)Math.Clamp((sbyte)a[k] - (sbyte)b[k], -128, 127),
                _ => (byte)((a[k] + b[k] + 1) >> 1),
            };
        }
        d = r;
    }

    private static void WordOp(Mnemonic m, ref Vector128<ulong> d, Vector128<ulong> s)
    {
        Vector128<ulong> r = default;
        var a = Lanes<ushort>(ref d);
        var b = Lanes<ushort>(ref s);
        var o = Lanes<ushort>(ref r);
        for (int k = 0; k < 8; k++)
        {
            o[k] = m switch
            {
                Mnemonic.Paddusw => (ushort)Math.Min(a[k] + b[k], 65535),
                Mnemonic.Psubusw => (ushort)Math.Max(a[k] - b[k], 0),
                Mnemonic.Paddsw => (ushort)(short)Math.Clamp((short)a[k] + (short)b[k], -32768, 32767),
                Mnemonic.Psubsw => (ushort)(short)Math.Clamp((short)a[k] - (short)b[k], -32768, 32767),
                Mnemonic.Pavgw => (ushort)((a[k] + b[k] + 1) >> 1),
                Mnemonic.Pmullw => (ushort)(a[k] * b[k]),
                Mnemonic.Pmulhw => (ushort)(((short)a[k] * (short)b[k]) >> 16),
                _ => (ushort)((a[k] * b[k]) >> 16),
            };
        }
        d = r;
    }

    private static void ShiftLanes(Mnemonic m, ref Vector128<ulong> d, ulong count)
    {
        int width = m switch
        {
            Mnemonic.Psllw or Mnemonic.Psrlw or Mnemonic.Psraw => 16,
            Mnemonic.Pslld or Mnemonic.Psrld or Mnemonic.Psrad => 32,
            _ => 64,
        };
        bool arith = m is Mnemonic.Psraw or Mnemonic.Psrad;
        bool left = m is Mnemonic.Psllw or Mnemonic.Pslld or Mnemonic.Psllq;
        if (count >= (ulong)width)
        {
            if (!arith)
            {
                d = default;
                return;
            }
            count = (ulong)width - 1;
        }
        int c = (int)count;
        switch (width)
        {
            case 16:
                d = (left ? Vector128.ShiftLeft(d.AsUInt16(), c) : arith ? Vector128.ShiftRightArithmetic(d.AsInt16(), c).AsUInt16()
                    : Vector128.ShiftRightLogical(d.AsUInt16(), c)).AsUInt64();
                break;
            case 32:
                d = (left ? Vector128.ShiftLeft(d.AsUInt32(), c) : arith ? Vector128.ShiftRightArithmetic(d.AsInt32(), c).AsUInt32()
                    : Vector128.ShiftRightLogical(d.AsUInt32(), c)).AsUInt64();
                break;
            default:
                d = left ? Vector128.ShiftLeft(d, c) : Vector128.ShiftRightLogical(d, c);
                break;
        }
    }

    private static void Pack(Mnemonic m, ref Vector128<ulong> d, Vector128<ulong> s)
    {
        Vector128<ulong> r = default;
        if (m == Mnemonic.Packssdw)
        {
            var a = Lanes<int>(ref d);
            var b = Lanes<int>(ref s);
            var o = Lanes<short>(ref r);
            for (int k = 0; k < 4; k++)
            {
                o[k] = (short)Math.Clamp(a[k], short.MinValue, short.MaxValue);
                o[k + 4] = (short)Math.Clamp(b[k], short.MinValue, short.MaxValue);
            }
        }
        else
        {
            var a = Lanes<short>(ref d);
            var b = Lanes<short>(ref s);
            var o = Lanes<byte>(ref r);
            bool unsigned = m == Mnemonic.Packuswb;
            for (int k = 0; k < 8; k++)
            {
                o[k] = unsigned ? (byte)Math.Clamp(a[k], (short)0, (short)255) : (byte)(sbyte)Math.Clamp(a[k], (short)-128, (short)127);
                o[k + 8] = unsigned ? (byte)Math.Clamp(b[k], (short)0, (short)255) : (byte)(sbyte)Math.Clamp(b[k], (short)-128, (short)127);
            }
        }
        d = r;
    }
}
