using System.Numerics;
using Iced.Intel;
using Xenon.Emulator.State;

namespace Xenon.Emulator.Execution;

/// <summary>Condition evaluation on the lazy flags and explicit status-flag updates.</summary>
public sealed partial class Cpu
{
    private bool CF => _s.Lazy.Carry;

    /// <summary>Evaluates a Jcc/SETcc/CMOVcc condition; a CMP/SUB just before is answered from its operands directly.</summary>
    internal bool Cond(ConditionCode cc)
    {
        ref LazyFlags lf = ref _s.Lazy;
        // The shortcut holds for CMP/SUB, not for an SBB that borrowed (its result is dst - src - 1).
        if (lf.Op == FlagOp.Sub && ((lf.Dst - lf.Src - lf.Result) << (64 - lf.Bits)) == 0)
        {
            int sh = 64 - lf.Bits;
            ulong d = lf.Dst << sh, s = lf.Src << sh;
            switch (cc)
            {
                case ConditionCode.e: return d == s;
                case ConditionCode.ne: return d != s;
                case ConditionCode.b: return d < s;
                case ConditionCode.ae: return d >= s;
                case ConditionCode.be: return d <= s;
                case ConditionCode.a: return d > s;
                case ConditionCode.l: return (long)d < (long)s;
                case ConditionCode.ge: return (long)d >= (long)s;
                case ConditionCode.le: return (long)d <= (long)s;
                case ConditionCode.g: return (long)d > (long)s;
            }
        }
        ulong f = lf.Compute();
        bool zf = (f & RFlags.ZF) != 0, cf = (f & RFlags.CF) != 0, sf = (f & RFlags.SF) != 0, of = (f & RFlags.OF) != 0;
        return cc switch
        {
            ConditionCode.o => of,
            ConditionCode.no => !of,
            ConditionCode.b => cf,
            ConditionCode.ae => !cf,
            ConditionCode.e => zf,
            ConditionCode.ne => !zf,
            ConditionCode.be => cf || zf,
            ConditionCode.a => !cf && !zf,
            ConditionCode.s => sf,
            ConditionCode.ns => !sf,
            ConditionCode.p => (f & RFlags.PF) != 0,
            ConditionCode.np => (f & RFlags.PF) == 0,
            ConditionCode.l => sf != of,
            ConditionCode.ge => sf == of,
            ConditionCode.le => zf || sf != of,
            ConditionCode.g => !zf && sf == of,
            _ => true,
        };
    }

    /// <summary>Replaces the status flags selected by <paramref name="mask"/>, keeping the others.</summary>
    internal void SetStatus(ulong mask, ulong values)
    {
        ulong f = _s.Lazy.Compute();
        _s.Lazy.SetAll((f & ~mask) | (values & mask));
    }

    internal static ulong Parity(ulong v) => (BitOperations.PopCount((uint)(v & 0xFF)) & 1) == 0 ? RFlags.PF : 0;

    /// <summary>ZF, SF, PF of a result of <paramref name="size"/> bytes.</summary>
    internal static ulong Szp(ulong r, int size)
    {
        r &= SizeMask(size);
        ulong f = Parity(r);
        if (r == 0) f |= RFlags.ZF;
        if ((r >> (size * 8 - 1) & 1) != 0) f |= RFlags.SF;
        return f;
    }
}
