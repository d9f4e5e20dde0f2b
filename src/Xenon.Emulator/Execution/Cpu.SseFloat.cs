using System.Runtime.Intrinsics;
using Iced.Intel;

namespace Xenon.Emulator.Execution;

/// <summary>SSE/SSE2 floating point: scalar (ss/sd: low lane only, rest kept) and packed (ps/pd) arithmetic, compares, conversions.</summary>
public sealed partial class Cpu
{
    private enum FOp { Add, Sub, Mul, Div, Min, Max, Sqrt, Cmp }

    private bool FloatOp(in Instruction i, Mnemonic m, ref Vector128<ulong> d, Vector128<ulong> s)
    {
        (FOp op, int kind) = m switch
        {
            // kind: 0 = ss, 1 = sd, 2 = ps, 3 = pd
            Mnemonic.Addss => (FOp.Add, 0), Mnemonic.Addsd => (FOp.Add, 1), Mnemonic.Addps => (FOp.Add, 2), Mnemonic.Addpd => (FOp.Add, 3),
            Mnemonic.Subss => (FOp.Sub, 0), Mnemonic.Subsd => (FOp.Sub, 1), Mnemonic.Subps => (FOp.Sub, 2), Mnemonic.Subpd => (FOp.Sub, 3),
            Mnemonic.Mulss => (FOp.Mul, 0), Mnemonic.Mulsd => (FOp.Mul, 1), Mnemonic.Mulps => (FOp.Mul, 2), Mnemonic.Mulpd => (FOp.Mul, 3),
            Mnemonic.Divss => (FOp.Div, 0), Mnemonic.Divsd => (FOp.Div, 1), Mnemonic.Divps => (FOp.Div, 2), Mnemonic.Divpd => (FOp.Div, 3),
            Mnemonic.Minss => (FOp.Min, 0), Mnemonic.Minsd => (FOp.Min, 1), Mnemonic.Minps => (FOp.Min, 2), Mnemonic.Minpd => (FOp.Min, 3),
            Mnemonic.Maxss => (FOp.Max, 0), Mnemonic.Maxsd => (FOp.Max, 1), Mnemonic.Maxps => (FOp.Max, 2), Mnemonic.Maxpd => (FOp.Max, 3),
            Mnemonic.Sqrtss => (FOp.Sqrt, 0), Mnemonic.Sqrtsd => (FOp.Sqrt, 1), Mnemonic.Sqrtps => (FOp.Sqrt, 2), Mnemonic.Sqrtpd => (FOp.Sqrt, 3),
            Mnemonic.Cmpss => (FOp.Cmp, 0), Mnemonic.Cmpsd => (FOp.Cmp, 1), Mnemonic.Cmpps => (FOp.Cmp, 2), Mnemonic.Cmppd => (FOp.Cmp, 3),
            _ => ((FOp)(-1), -1),
        };
        if (kind < 0) return Convert(m, ref d, s);
        int pred = op == FOp.Cmp ? i.Immediate8 & 7 : 0;
        if (kind is 0 or 2)
        {
            Vector128<ulong> r = d;
            var a = Lanes<float>(ref d);
            var b = Lanes<float>(ref s);
            var o = Lanes<float>(ref r);
            int n = kind == 0 ? 1 : 4;
            for (int k = 0; k < n; k++)
            {
                if (op == FOp.Cmp) o[k] = BitConverter.UInt32BitsToSingle(Compare(a[k], b[k], pred) ? uint.MaxValue : 0);
                else o[k] = ArithF(op, a[k], b[k]);
            }
            d = r;
        }
        else
        {
            Vector128<ulong> r = d;
            var a = Lanes<double>(ref d);
            var b = Lanes<double>(ref s);
            var o = Lanes<double>(ref r);
            int n = kind == 1 ? 1 : 2;
            for (int k = 0; k < n; k++)
            {
                if (op == FOp.Cmp) o[k] = BitConverter.UInt64BitsToDouble(Compare(a[k], b[k], pred) ? ulong.MaxValue : 0);
                else o[k] = Arith(op, a[k], b[k]);
            }
            d = r;
        }
        return true;
    }

    // The host executes these as the same SSE instructions, so rounding and NaN propagation match the hardware.
    private static double Arith(FOp op, double a, double b) => op switch
    {
        FOp.Add => a + b,
        FOp.Sub => a - b,
        FOp.Mul => a * b,
        FOp.Div => a / b,
        FOp.Sqrt => Math.Sqrt(b),
        // MIN/MAX return the second operand when either is NaN or both are zero (x86 rule, not IEEE).
        FOp.Min => a < b ? a : b,
        _ => a > b ? a : b,
    };

    // Kept in float (never widened): widening would quieten a signalling NaN that MIN/MAX must pass through unchanged.
    private static float ArithF(FOp op, float a, float b) => op switch
    {
        FOp.Add => a + b,
        FOp.Sub => a - b,
        FOp.Mul => a * b,
        FOp.Div => a / b,
        FOp.Sqrt => MathF.Sqrt(b),
        FOp.Min => a < b ? a : b,
        _ => a > b ? a : b,
    };

    private static bool Compare(double a, double b, int pred) => pred switch
    {
        0 => a == b,
        1 => a < b,
        2 => a <= b,
        3 => double.IsNaN(a) || double.IsNaN(b),
        4 => !(a == b),
        5 => !(a < b),
        6 => !(a <= b),
        _ => !double.IsNaN(a) && !double.IsNaN(b),
    };

    private bool Convert(Mnemonic m, ref Vector128<ulong> d, Vector128<ulong> s)
    {
        switch (m)
        {
            case Mnemonic.Cvtss2sd:
                d = d.WithElement(0, (ulong)BitConverter.DoubleToInt64Bits(s.AsSingle().GetElement(0)));
                return true;
            case Mnemonic.Cvtsd2ss:
                d = d.AsSingle().WithElement(0, (float)s.AsDouble().GetElement(0)).AsUInt64();
                return true;
            case Mnemonic.Cvtdq2ps:
                d = Vector128.ConvertToSingle(s.AsInt32()).AsUInt64();
                return true;
            case Mnemonic.Cvtdq2pd:
                d = Vector128.Create((double)s.AsInt32().GetElement(0), s.AsInt32().GetElement(1)).AsUInt64();
                return true;
            case Mnemonic.Cvtps2pd:
                d = Vector128.Create((double)s.AsSingle().GetElement(0), s.AsSingle().GetElement(1)).AsUInt64();
                return true;
            case Mnemonic.Cvtpd2ps:
                d = Vector128.Create((float)s.AsDouble().GetElement(0), (float)s.AsDouble().GetElement(1), 0f, 0f).AsUInt64();
                return true;
            case Mnemonic.Cvtps2dq: case Mnemonic.Cvttps2dq:
            {
                bool t = m == Mnemonic.Cvttps2dq;
                var f = s.AsSingle();
                d = Vector128.Create((uint)ToInteger(f.GetElement(0), t, 4), (uint)ToInteger(f.GetElement(1), t, 4),
                    (uint)ToInteger(f.GetElement(2), t, 4), (uint)ToInteger(f.GetElement(3), t, 4)).AsUInt64();
                return true;
            }
            case Mnemonic.Cvtpd2dq: case Mnemonic.Cvttpd2dq:
            {
                bool t = m == Mnemonic.Cvttpd2dq;
                var f = s.AsDouble();
                d = Vector128.Create((uint)ToInteger(f.GetElement(0), t, 4), (uint)ToInteger(f.GetElement(1), t, 4), 0u, 0u).AsUInt64();
                return true;
            }
        }
        return false;
    }
}
