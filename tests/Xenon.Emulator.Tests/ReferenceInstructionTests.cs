using System.Runtime.Intrinsics;
using Iced.Intel;
using Xenon.Emulator.Execution;
using Xenon.Emulator.State;
using Xenon.Emulator.Tests.Support;

namespace Xenon.Emulator.Tests;

/// <summary>
/// Every 64-bit legacy encoding of the integer instructions, run with random and boundary operands on the host CPU
/// (the reference) and on the emulator; results, memory and RFLAGS must match, with only the flags the SDM calls
/// undefined for that instruction (and those inputs) masked.
/// </summary>
public sealed class ReferenceInstructionTests
{
    internal const ulong OSZAPC = RFlags.OF | RFlags.SF | RFlags.ZF | RFlags.AF | RFlags.PF | RFlags.CF;
    private const ulong Skip = ulong.MaxValue;
    private const int CasesPerForm = 64;

    /// <summary>Undefined status flags for a case (or <see cref="Skip"/> where the result itself is undefined).</summary>
    private delegate ulong UndefinedFlags(in Instruction ins, ulong[] regs);

    private static readonly UndefinedFlags None = (in Instruction _, ulong[] _) => 0;

    private static ulong CountOf(in Instruction ins, ulong[] regs, int bits)
    {
        ulong c = ins.OpCount < 2 ? 1 : ins.Op1Kind == OpKind.Register ? regs[1] & 0xFF : ins.Immediate8;
        if (ins.Mnemonic is Mnemonic.Shld or Mnemonic.Shrd) c = ins.Op2Kind == OpKind.Register ? regs[1] & 0xFF : ins.Immediate8;
        return c & (bits == 64 ? 0x3FUL : 0x1FUL);
    }

    private static int Bits(in Instruction ins) => (ins.Op0Kind == OpKind.Register ? ins.Op0Register.GetSize() : ins.MemorySize.GetSize()) * 8;

    private static readonly UndefinedFlags ShiftFlags = (in Instruction ins, ulong[] regs) =>
    {
        ulong c = CountOf(ins, regs, Bits(ins));
        if (c == 0) return 0;
        return RFlags.AF | (c != 1 ? RFlags.OF : 0);
    };

    private static readonly UndefinedFlags RotateFlags = (in Instruction ins, ulong[] regs) =>
        CountOf(ins, regs, Bits(ins)) is var c && c != 1 && c != 0 ? RFlags.OF : 0;

    private static readonly UndefinedFlags DoubleShiftFlags = (in Instruction ins, ulong[] regs) =>
    {
        int bits = Bits(ins);
        ulong c = CountOf(ins, regs, bits);
        if (c > (ulong)bits) return Skip; // result undefined
        if (c == 0) return 0;
        return RFlags.AF | (c != 1 ? RFlags.OF : 0);
    };

    public static TheoryData<string> Mnemonics()
    {
        var data = new TheoryData<string>();
        foreach (var m in Table.Keys) data.Add(m.ToString());
        return data;
    }

    private static readonly Dictionary<Mnemonic, UndefinedFlags> Table = new()
    {
        [Mnemonic.Add] = None, [Mnemonic.Adc] = None, [Mnemonic.Sub] = None, [Mnemonic.Sbb] = None, [Mnemonic.Cmp] = None,
        [Mnemonic.And] = (in Instruction _, ulong[] _) => RFlags.AF,
        [Mnemonic.Or] = (in Instruction _, ulong[] _) => RFlags.AF,
        [Mnemonic.Xor] = (in Instruction _, ulong[] _) => RFlags.AF,
        [Mnemonic.Test] = (in Instruction _, ulong[] _) => RFlags.AF,
        [Mnemonic.Inc] = None, [Mnemonic.Dec] = None, [Mnemonic.Neg] = None, [Mnemonic.Not] = None,
        [Mnemonic.Shl] = ShiftFlags, [Mnemonic.Shr] = ShiftFlags, [Mnemonic.Sar] = ShiftFlags,
        [Mnemonic.Rol] = RotateFlags, [Mnemonic.Ror] = RotateFlags, [Mnemonic.Rcl] = RotateFlags, [Mnemonic.Rcr] = RotateFlags,
        [Mnemonic.Shld] = DoubleShiftFlags, [Mnemonic.Shrd] = DoubleShiftFlags,
        [Mnemonic.Mul] = (in Instruction _, ulong[] _) => RFlags.SF | RFlags.ZF | RFlags.AF | RFlags.PF,
        [Mnemonic.Imul] = (in Instruction _, ulong[] _) => RFlags.SF | RFlags.ZF | RFlags.AF | RFlags.PF,
        [Mnemonic.Div] = (in Instruction _, ulong[] _) => OSZAPC,
        [Mnemonic.Idiv] = (in Instruction _, ulong[] _) => OSZAPC,
        [Mnemonic.Bt] = (in Instruction _, ulong[] _) => RFlags.OF | RFlags.SF | RFlags.AF | RFlags.PF,
        [Mnemonic.Bts] = (in Instruction _, ulong[] _) => RFlags.OF | RFlags.SF | RFlags.AF | RFlags.PF,
        [Mnemonic.Btr] = (in Instruction _, ulong[] _) => RFlags.OF | RFlags.SF | RFlags.AF | RFlags.PF,
        [Mnemonic.Btc] = (in Instruction _, ulong[] _) => RFlags.OF | RFlags.SF | RFlags.AF | RFlags.PF,
        [Mnemonic.Bsf] = (in Instruction _, ulong[] _) => RFlags.CF | RFlags.OF | RFlags.SF | RFlags.AF | RFlags.PF,
        [Mnemonic.Bsr] = (in Instruction _, ulong[] _) => RFlags.CF | RFlags.OF | RFlags.SF | RFlags.AF | RFlags.PF,
        [Mnemonic.Tzcnt] = (in Instruction _, ulong[] _) => RFlags.OF | RFlags.SF | RFlags.AF | RFlags.PF,
        [Mnemonic.Popcnt] = None,
        [Mnemonic.Bswap] = (in Instruction ins, ulong[] _) => ins.Op0Register.GetSize() == 2 ? Skip : 0,
        [Mnemonic.Mov] = None, [Mnemonic.Movzx] = None, [Mnemonic.Movsx] = None, [Mnemonic.Movsxd] = None, [Mnemonic.Lea] = None,
        [Mnemonic.Xchg] = None, [Mnemonic.Xadd] = None, [Mnemonic.Cmpxchg] = None,
        [Mnemonic.Cmpxchg8b] = None, [Mnemonic.Cmpxchg16b] = None,
        [Mnemonic.Cbw] = None, [Mnemonic.Cwde] = None, [Mnemonic.Cdqe] = None, [Mnemonic.Cwd] = None, [Mnemonic.Cdq] = None,
        [Mnemonic.Cqo] = None, [Mnemonic.Lahf] = None, [Mnemonic.Sahf] = None, [Mnemonic.Clc] = None, [Mnemonic.Stc] = None,
        [Mnemonic.Cmc] = None,
        [Mnemonic.Sete] = None, [Mnemonic.Setl] = None, [Mnemonic.Setbe] = None, [Mnemonic.Setp] = None, [Mnemonic.Seto] = None,
        [Mnemonic.Setg] = None, [Mnemonic.Seta] = None, [Mnemonic.Sets] = None,
        [Mnemonic.Cmove] = None, [Mnemonic.Cmovl] = None, [Mnemonic.Cmovbe] = None, [Mnemonic.Cmovg] = None, [Mnemonic.Cmovo] = None,
        [Mnemonic.Cmovnp] = None, [Mnemonic.Cmova] = None, [Mnemonic.Cmovge] = None,
        // SSE/SSE2 (Cmpsd and Movsd include their string forms, which have no XMM operand and are skipped by the builder)
        [Mnemonic.Movaps] = None,
        [Mnemonic.Movups] = None,
        [Mnemonic.Movapd] = None,
        [Mnemonic.Movupd] = None,
        [Mnemonic.Movdqa] = None,
        [Mnemonic.Movdqu] = None,
        [Mnemonic.Movntdq] = None,
        [Mnemonic.Movd] = None,
        [Mnemonic.Movq] = None,
        [Mnemonic.Movss] = None,
        [Mnemonic.Movsd] = None,
        [Mnemonic.Movlps] = None,
        [Mnemonic.Movhps] = None,
        [Mnemonic.Movlpd] = None,
        [Mnemonic.Movhpd] = None,
        [Mnemonic.Movhlps] = None,
        [Mnemonic.Movlhps] = None,
        [Mnemonic.Movmskps] = None,
        [Mnemonic.Movmskpd] = None,
        [Mnemonic.Pmovmskb] = None,
        [Mnemonic.Pand] = None,
        [Mnemonic.Pandn] = None,
        [Mnemonic.Por] = None,
        [Mnemonic.Pxor] = None,
        [Mnemonic.Andps] = None,
        [Mnemonic.Andpd] = None,
        [Mnemonic.Andnps] = None,
        [Mnemonic.Orps] = None,
        [Mnemonic.Xorps] = None,
        [Mnemonic.Xorpd] = None,
        [Mnemonic.Paddb] = None,
        [Mnemonic.Paddw] = None,
        [Mnemonic.Paddd] = None,
        [Mnemonic.Paddq] = None,
        [Mnemonic.Psubb] = None,
        [Mnemonic.Psubw] = None,
        [Mnemonic.Psubd] = None,
        [Mnemonic.Psubq] = None,
        [Mnemonic.Paddusb] = None,
        [Mnemonic.Paddusw] = None,
        [Mnemonic.Psubusb] = None,
        [Mnemonic.Psubusw] = None,
        [Mnemonic.Paddsb] = None,
        [Mnemonic.Paddsw] = None,
        [Mnemonic.Psubsb] = None,
        [Mnemonic.Psubsw] = None,
        [Mnemonic.Pcmpeqb] = None,
        [Mnemonic.Pcmpeqw] = None,
        [Mnemonic.Pcmpeqd] = None,
        [Mnemonic.Pcmpgtb] = None,
        [Mnemonic.Pcmpgtw] = None,
        [Mnemonic.Pcmpgtd] = None,
        [Mnemonic.Pminub] = None,
        [Mnemonic.Pmaxub] = None,
        [Mnemonic.Pminsw] = None,
        [Mnemonic.Pmaxsw] = None,
        [Mnemonic.Pavgb] = None,
        [Mnemonic.Pavgw] = None,
        [Mnemonic.Pmullw] = None,
        [Mnemonic.Pmulhw] = None,
        [Mnemonic.Pmulhuw] = None,
        [Mnemonic.Pmuludq] = None,
        [Mnemonic.Pmaddwd] = None,
        [Mnemonic.Psadbw] = None,
        [Mnemonic.Psllw] = None,
        [Mnemonic.Pslld] = None,
        [Mnemonic.Psllq] = None,
        [Mnemonic.Psrlw] = None,
        [Mnemonic.Psrld] = None,
        [Mnemonic.Psrlq] = None,
        [Mnemonic.Psraw] = None,
        [Mnemonic.Psrad] = None,
        [Mnemonic.Pslldq] = None,
        [Mnemonic.Psrldq] = None,
        [Mnemonic.Pshufd] = None,
        [Mnemonic.Pshuflw] = None,
        [Mnemonic.Pshufhw] = None,
        [Mnemonic.Shufps] = None,
        [Mnemonic.Shufpd] = None,
        [Mnemonic.Punpcklbw] = None,
        [Mnemonic.Punpcklwd] = None,
        [Mnemonic.Punpckldq] = None,
        [Mnemonic.Punpcklqdq] = None,
        [Mnemonic.Punpckhbw] = None,
        [Mnemonic.Punpckhwd] = None,
        [Mnemonic.Punpckhdq] = None,
        [Mnemonic.Punpckhqdq] = None,
        [Mnemonic.Unpcklps] = None,
        [Mnemonic.Unpckhps] = None,
        [Mnemonic.Unpcklpd] = None,
        [Mnemonic.Unpckhpd] = None,
        [Mnemonic.Packsswb] = None,
        [Mnemonic.Packssdw] = None,
        [Mnemonic.Packuswb] = None,
        [Mnemonic.Pinsrw] = None,
        [Mnemonic.Pextrw] = None,
        [Mnemonic.Addss] = None,
        [Mnemonic.Addsd] = None,
        [Mnemonic.Addps] = None,
        [Mnemonic.Addpd] = None,
        [Mnemonic.Subss] = None,
        [Mnemonic.Subsd] = None,
        [Mnemonic.Subps] = None,
        [Mnemonic.Subpd] = None,
        [Mnemonic.Mulss] = None,
        [Mnemonic.Mulsd] = None,
        [Mnemonic.Mulps] = None,
        [Mnemonic.Mulpd] = None,
        [Mnemonic.Divss] = None,
        [Mnemonic.Divsd] = None,
        [Mnemonic.Divps] = None,
        [Mnemonic.Divpd] = None,
        [Mnemonic.Sqrtss] = None,
        [Mnemonic.Sqrtsd] = None,
        [Mnemonic.Sqrtps] = None,
        [Mnemonic.Sqrtpd] = None,
        [Mnemonic.Minss] = None,
        [Mnemonic.Minsd] = None,
        [Mnemonic.Minps] = None,
        [Mnemonic.Minpd] = None,
        [Mnemonic.Maxss] = None,
        [Mnemonic.Maxsd] = None,
        [Mnemonic.Maxps] = None,
        [Mnemonic.Maxpd] = None,
        [Mnemonic.Cmpss] = None,
        [Mnemonic.Cmpps] = None,
        [Mnemonic.Cmppd] = None,
        [Mnemonic.Comiss] = None,
        [Mnemonic.Comisd] = None,
        [Mnemonic.Ucomiss] = None,
        [Mnemonic.Ucomisd] = None,
        [Mnemonic.Cvtsi2ss] = None,
        [Mnemonic.Cvtsi2sd] = None,
        [Mnemonic.Cvtss2sd] = None,
        [Mnemonic.Cvtsd2ss] = None,
        [Mnemonic.Cvttss2si] = None,
        [Mnemonic.Cvttsd2si] = None,
        [Mnemonic.Cvtss2si] = None,
        [Mnemonic.Cvtsd2si] = None,
        [Mnemonic.Cvtdq2ps] = None,
        [Mnemonic.Cvtps2dq] = None,
        [Mnemonic.Cvttps2dq] = None,
        [Mnemonic.Cvtdq2pd] = None,
        [Mnemonic.Cvtpd2dq] = None,
        [Mnemonic.Cvttpd2dq] = None,
        [Mnemonic.Cvtps2pd] = None,
        [Mnemonic.Cvtpd2ps] = None,
    };

    internal static ulong RandomValue(Random r) => r.Next(8) switch
    {
        0 => (ulong)r.Next(4),
        1 => ulong.MaxValue - (ulong)r.Next(2),
        2 => (1UL << r.Next(64)) + (ulong)r.Next(-1, 1),
        3 => (ulong)r.Next(256),
        4 => (uint)r.NextInt64(),
        5 => (ulong)(long)(sbyte)r.Next(256),
        _ => (ulong)r.NextInt64() ^ ((ulong)r.Next(2) << 63),
    };

    [Theory]
    [MemberData(nameof(Mnemonics))]
    public void MatchesHostCpu(string mnemonicName)
    {
        if (NativeReference.SkipReason is { } reason) Assert.Skip(reason);
        var mnemonic = Enum.Parse<Mnemonic>(mnemonicName);
        UndefinedFlags undefinedFlags = Table[mnemonic];
        var rng = new Random(StableSeed(mnemonicName)); // deterministic per mnemonic, so a failure reproduces

        var inputs = new List<ReferenceInput>();
        var instrs = new List<Instruction>();
        foreach (var (code, make) in ReferenceCaseBuilder.Forms(mnemonic))
        {
            for (int n = 0; n < CasesPerForm; n++)
            {
                Instruction ins = make(rng);
                byte[]? bytes = ReferenceCaseBuilder.Encode(ins, TestMachine.CodeBase);
                if (bytes is null) break;
                var regs = new ulong[16];
                for (int k = 0; k < 16; k++) regs[k] = RandomValue(rng);
                regs[4] = 0;
                regs[6] = ReferenceCaseBuilder.DataPointer;
                regs[7] = ReferenceCaseBuilder.DataPointer + 16;
                if (mnemonic is Mnemonic.Div or Mnemonic.Idiv && rng.Next(3) != 0) regs[2] = (ulong)rng.Next(4) - 1; // mostly no #DE
                if (mnemonic is Mnemonic.Bt or Mnemonic.Bts or Mnemonic.Btr or Mnemonic.Btc && ins.Op0Kind == OpKind.Memory)
                    regs[3] = (ulong)rng.Next(-128, 384); // keep the bit string inside the buffer
                if (mnemonic is Mnemonic.Cmpxchg or Mnemonic.Cmpxchg8b or Mnemonic.Cmpxchg16b && rng.Next(2) == 0)
                {
                    // Make the comparison succeed half the time.
                    regs[0] = regs[2];
                    if (ins.Op0Kind == OpKind.Register) regs[0] = regs[2];
                }
                var data = new byte[64];
                rng.NextBytes(data);
                if (rng.Next(2) == 0) RandomXmm(rng).CopyTo(data, 0);
                if (mnemonic is Mnemonic.Cmpxchg or Mnemonic.Cmpxchg8b or Mnemonic.Cmpxchg16b && rng.Next(2) == 0)
                {
                    BitConverter.TryWriteBytes(data.AsSpan(16), regs[0]);
                    BitConverter.TryWriteBytes(data.AsSpan(24), regs[2]);
                }
                ulong flags = RFlags.Fixed1 | ((ulong)rng.Next(1 << 12) & OSZAPC);
                if (undefinedFlags(ins, regs) == Skip) continue;
                inputs.Add(new ReferenceInput(bytes, flags, regs, data) { Xmm = RandomXmm(rng) });
                instrs.Add(ins);
            }
        }
        Assert.NotEmpty(inputs);
        List<ReferenceOutput> expected = NativeReference.Execute(inputs);

        var machine = new TestMachine(cpuid: new CpuidModel { Bmi1 = true });
        for (int v = 0; v < 32; v++)
        {
            machine.SetGate(v, TestMachine.HandlerBase + (ulong)v * 16);
            machine.Load(TestMachine.HandlerBase + (ulong)v * 16, [0xF4]);
        }
        var failures = new List<string>();
        for (int c = 0; c < inputs.Count && failures.Count < 10; c++)
        {
            ReferenceInput input = inputs[c];
            ReferenceOutput actual = RunEmulated(machine, input);
            ReferenceOutput want = expected[c];
            ulong undefined = undefinedFlags(instrs[c], input.Regs);
            string? diff = Compare(want, actual, undefined);
            if (diff is not null)
                failures.Add($"{instrs[c]} ({Convert.ToHexString(input.Code)}) flags={input.Flags:x} regs=[{string.Join(",", input.Regs.Select(r => r.ToString("x")))}]: {diff}");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {inputs.Count} cases differ:\n" + string.Join("\n", failures));
    }

    /// <summary>XMM0..3: raw random bits, or lanes of ordinary floats/doubles (small integers, fractions, signs, zeros, NaN).</summary>
    internal static byte[] RandomXmm(Random r)
    {
        var x = new byte[64];
        r.NextBytes(x);
        for (int reg = 0; reg < 4; reg++)
        {
            switch (r.Next(3))
            {
                case 0:
                    for (int k = 0; k < 2; k++) BitConverter.TryWriteBytes(x.AsSpan(reg * 16 + k * 8), NiceDouble(r));
                    break;
                case 1:
                    for (int k = 0; k < 4; k++) BitConverter.TryWriteBytes(x.AsSpan(reg * 16 + k * 4), (float)NiceDouble(r));
                    break;
            }
        }
        return x;
    }

    private static double NiceDouble(Random r) => r.Next(10) switch
    {
        0 => 0.0,
        1 => -0.0,
        2 => double.NaN,
        3 => r.Next(-5, 5) + 0.5,
        4 => 1e10 * r.NextDouble(),
        5 => double.PositiveInfinity,
        _ => (r.NextDouble() - 0.5) * r.Next(1, 1000),
    };

    internal static int StableSeed(string s)
    {
        int h = 17;
        foreach (char ch in s) h = h * 31 + ch;
        return h & 0x7FFFFFFF;
    }

    internal static ReferenceOutput RunEmulated(TestMachine m, ReferenceInput input)
    {
        m.EnterLongMode();
        for (int k = 0; k < 16; k++) m.S.Gpr[k] = input.Regs[k];
        m.S.Gpr[4] = TestMachine.StackTop;
        m.Cpu.SetRflags(input.Flags);
        byte[] code = new byte[input.Code.Length + 1];
        input.Code.CopyTo(code, 0);
        code[^1] = 0xF4;
        m.Load(TestMachine.CodeBase, code);
        m.Load(TestMachine.DataBase, input.Data);
        for (int x = 0; x < 4; x++)
            m.S.Xmm[x] = System.Runtime.Intrinsics.Vector128.Create(BitConverter.ToUInt64(input.Xmm, 16 * x), BitConverter.ToUInt64(input.Xmm, 16 * x + 8));
        m.S.Mxcsr = 0x1F80;
        m.Cpu.Run(1);
        int vector = -1;
        if (m.S.Rip >= TestMachine.HandlerBase && m.S.Rip < TestMachine.HandlerBase + 32 * 16)
            vector = (int)((m.S.Rip - TestMachine.HandlerBase) / 16);
        var regs = new ulong[16];
        for (int k = 0; k < 16; k++) regs[k] = m.S.Gpr[k];
        var xmm = new byte[64];
        for (int x = 0; x < 4; x++)
        {
            BitConverter.TryWriteBytes(xmm.AsSpan(16 * x), m.S.Xmm[x].GetElement(0));
            BitConverter.TryWriteBytes(xmm.AsSpan(16 * x + 8), m.S.Xmm[x].GetElement(1));
        }
        return new ReferenceOutput(vector, m.Cpu.GetRflags(), regs, m.Memory.Ram.Slice((int)TestMachine.DataBase, 64).ToArray()) { Xmm = xmm };
    }

    internal static string? Compare(ReferenceOutput want, ReferenceOutput got, ulong undefined)
    {
        static int Norm(int v) => v == 13 ? 14 : v; // the host reports #GP and #PF both as SIGSEGV
        if (Norm(want.Vector) != Norm(got.Vector)) return $"vector {want.Vector} expected, got {got.Vector}";
        if (want.Vector >= 0) return null;
        for (int k = 0; k < 16; k++)
        {
            if (k == 4) continue;
            if (want.Regs[k] != got.Regs[k]) return $"reg {k} expected {want.Regs[k]:x}, got {got.Regs[k]:x}";
        }
        ulong mask = (OSZAPC | RFlags.DF) & ~undefined;
        if ((want.Flags & mask) != (got.Flags & mask)) return $"flags expected {want.Flags & mask:x}, got {got.Flags & mask:x} (mask {mask:x})";
        if (!want.Data.AsSpan().SequenceEqual(got.Data)) return $"memory expected {Convert.ToHexString(want.Data)}, got {Convert.ToHexString(got.Data)}";
        if (!want.Xmm.AsSpan().SequenceEqual(got.Xmm)) return $"xmm0-3 expected {Convert.ToHexString(want.Xmm)}, got {Convert.ToHexString(got.Xmm)}";
        return null;
    }
}
