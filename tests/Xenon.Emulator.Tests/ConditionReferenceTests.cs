using Iced.Intel;
using Xenon.Emulator.State;
using Xenon.Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Xenon.Emulator.Tests;

/// <summary>
/// A flag-setting instruction followed by twelve SETcc, against the host: proves the condition evaluation on the lazy
/// flags (including the shortcut after CMP/SUB) for every operand width, not just the final RFLAGS.
/// </summary>
public sealed class ConditionReferenceTests
{
    public static TheoryData<string> Cases() => new(Ops.Keys);

    private static readonly Dictionary<string, Action<Assembler>> Ops = new()
    {
        ["cmp8"] = a => a.cmp(al, bl), ["cmp16"] = a => a.cmp(ax, bx), ["cmp32"] = a => a.cmp(eax, ebx), ["cmp64"] = a => a.cmp(rax, rbx),
        ["sub8"] = a => a.sub(al, bl), ["sub64"] = a => a.sub(rax, rbx),
        ["sbb8"] = a => a.sbb(al, bl), ["sbb16"] = a => a.sbb(ax, bx), ["sbb32"] = a => a.sbb(eax, ebx), ["sbb64"] = a => a.sbb(rax, rbx),
        ["adc32"] = a => a.adc(eax, ebx), ["add16"] = a => a.add(ax, bx), ["add64"] = a => a.add(rax, rbx),
        ["neg32"] = a => a.neg(eax), ["inc8"] = a => a.inc(al), ["dec64"] = a => a.dec(rax), ["and16"] = a => a.and(ax, bx),
        ["test64"] = a => a.test(rax, rbx), ["xor8"] = a => a.xor(al, bl),
        ["cmpxchg32"] = a => a.cmpxchg(ebx, eax), ["cmpsb"] = a => a.cmpsb(), ["scasq"] = a => a.scasq(),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesHostCpu(string name)
    {
        if (NativeReference.SkipReason is { } reason) Assert.Skip(reason);
        byte[] code = TestMachine.Encode(TestMachine.CodeBase, a =>
        {
            Ops[name](a);
            a.sete(cl); a.setne(dl); a.setb(r8b); a.setae(r9b); a.setbe(r10b); a.seta(r11b);
            a.setl(r12b); a.setge(r13b); a.setle(r14b); a.setg(r15b); a.sets(bpl); a.setp(bh);
        });
        var rng = new Random(ReferenceInstructionTests.StableSeed(name));
        var inputs = new List<ReferenceInput>();
        for (int n = 0; n < 200; n++)
        {
            var regs = new ulong[16];
            for (int k = 0; k < 16; k++) regs[k] = ReferenceInstructionTests.RandomValue(rng);
            if (rng.Next(3) == 0) regs[3] = regs[0] + (ulong)rng.Next(-1, 2); // near-equal operands
            regs[4] = 0;
            regs[6] = 0x200010;
            regs[7] = 0x200020;
            var data = new byte[64];
            rng.NextBytes(data);
            ulong flags = RFlags.Fixed1 | ((ulong)rng.Next(1 << 12) & ReferenceInstructionTests.OSZAPC);
            inputs.Add(new ReferenceInput(code, flags, regs, data));
        }
        List<ReferenceOutput> expected = NativeReference.Execute(inputs);
        var m = new TestMachine();
        var failures = new List<string>();
        for (int c = 0; c < inputs.Count && failures.Count < 5; c++)
        {
            m.EnterLongMode();
            for (int k = 0; k < 16; k++) m.S.Gpr[k] = inputs[c].Regs[k];
            m.S.Gpr[4] = TestMachine.StackTop;
            m.Cpu.SetRflags(inputs[c].Flags);
            m.Load(TestMachine.CodeBase, code);
            m.Load(TestMachine.DataBase, inputs[c].Data);
            m.Cpu.Run(13);
            var regs = new ulong[16];
            for (int k = 0; k < 16; k++) regs[k] = m.S.Gpr[k];
            var got = new ReferenceOutput(-1, m.Cpu.GetRflags(), regs, m.Memory.Ram.Slice((int)TestMachine.DataBase, 64).ToArray());
            ulong undefined = name.StartsWith("and", StringComparison.Ordinal) || name.StartsWith("test", StringComparison.Ordinal) ||
                name.StartsWith("xor", StringComparison.Ordinal) ? RFlags.AF : 0;
            string? diff = ReferenceInstructionTests.Compare(expected[c], got, undefined);
            if (diff is not null) failures.Add($"{name} rax={inputs[c].Regs[0]:x} rbx={inputs[c].Regs[3]:x} flags={inputs[c].Flags:x}: {diff}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
