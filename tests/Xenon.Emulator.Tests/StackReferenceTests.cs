using Iced.Intel;
using Xenon.Emulator.State;
using Xenon.Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Xenon.Emulator.Tests;

/// <summary>
/// Stack instructions against the host: each runs between two XCHG RSP, R15 so that on both CPUs the stack is the
/// data buffer (R15 = buffer + 0x30) and the pushed/popped bytes are compared.
/// </summary>
public sealed class StackReferenceTests
{
    public static TheoryData<string> Cases() => new(Programs.Keys);

    private static readonly Dictionary<string, Action<Assembler>> Programs = new()
    {
        ["push r64"] = a => a.push(rbx),
        ["push r16"] = a => a.push(bx),
        ["push imm32"] = a => a.push(-0x1234568),
        ["push imm8"] = a => a.push(-5),
        ["push m64"] = a => a.push(__qword_ptr[rsi]),
        ["push m16"] = a => a.push(__word_ptr[rsi]),
        ["push fs"] = a => a.push(fs),
        ["pop r64"] = a => a.pop(rbx),
        ["pop r16"] = a => a.pop(bx),
        ["pop m64"] = a => a.pop(__qword_ptr[rsi]),
        ["pop m16"] = a => a.pop(__word_ptr[rsi]),
        ["pop m64 [rsp]"] = a => a.pop(__qword_ptr[rsp + 8]),
        ["pushfq"] = a => a.pushfq(),
        ["pushf"] = a => a.pushf(),
        ["leave"] = a => a.leave(),
        ["enter 16,0"] = a => a.enter(16, 0),
        ["enter 8,1"] = a => a.enter(8, 1),
        ["enter 0,3"] = a => a.enter(0, 3),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesHostCpu(string name)
    {
        if (NativeReference.SkipReason is { } reason) Assert.Skip(reason);
        byte[] code = TestMachine.Encode(TestMachine.CodeBase, a =>
        {
            a.xchg(rsp, r15);
            Programs[name](a);
            a.xchg(rsp, r15);
        });
        var rng = new Random(name.Length * 31 + name[^1]);
        var inputs = new List<ReferenceInput>();
        for (int n = 0; n < 64; n++)
        {
            var regs = new ulong[16];
            for (int k = 0; k < 16; k++) regs[k] = ReferenceInstructionTests.RandomValue(rng);
            regs[4] = 0;
            regs[6] = 0x200008;
            regs[15] = 0x200030;
            regs[5] = 0x200020 + (ulong)rng.Next(0, 3) * 8; // RBP for LEAVE/ENTER: inside the buffer
            var data = new byte[64];
            rng.NextBytes(data);
            // The host runs in user mode: IF is always set there.
            ulong flags = RFlags.Fixed1 | RFlags.IF | ((ulong)rng.Next(1 << 12) & ReferenceInstructionTests.OSZAPC);
            inputs.Add(new ReferenceInput(code, flags, regs, data));
        }
        List<ReferenceOutput> expected = NativeReference.Execute(inputs);
        var m = new TestMachine();
        var failures = new List<string>();
        for (int c = 0; c < inputs.Count && failures.Count < 5; c++)
        {
            m.EnterLongMode();
            m.S.Segments[Seg.Fs].Selector = 0; // the host's FS selector is 0 in user space
            ReferenceOutput got = RunThree(m, inputs[c]);
            string? diff = ReferenceInstructionTests.Compare(expected[c], got, 0);
            if (diff is not null) failures.Add($"{name}: {diff}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static ReferenceOutput RunThree(TestMachine m, ReferenceInput input)
    {
        for (int k = 0; k < 16; k++) m.S.Gpr[k] = input.Regs[k];
        m.S.Gpr[4] = TestMachine.StackTop;
        m.Cpu.SetRflags(input.Flags);
        m.Load(TestMachine.CodeBase, input.Code);
        m.Load(TestMachine.DataBase, input.Data);
        m.Cpu.Run(3);
        var regs = new ulong[16];
        for (int k = 0; k < 16; k++) regs[k] = m.S.Gpr[k];
        return new ReferenceOutput(-1, m.Cpu.GetRflags(), regs, m.Memory.Ram.Slice((int)TestMachine.DataBase, 64).ToArray());
    }
}
