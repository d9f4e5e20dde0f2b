using Iced.Intel;
using Xenon.Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Xenon.Emulator.Tests;

/// <summary>
/// NEG, NOT (registers) and DIV/IDIV (register and memory divisors) on the fast path and translated by the IL tier,
/// against the interpreter on boundary values: results, flags (NEG's live, dead and read by SBB), and #DE delivered at
/// the dividing instruction with nothing of it committed.
/// </summary>
public sealed class IlTierNegNotDivTests
{
    private const ulong FaultHandler = 0x50000;

    private static readonly ulong[] Values =
    [
        0, 1, 2, 3, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
        0x7FFFFFFFFFFFFFFF, 0x8000000000000000, ulong.MaxValue, ulong.MaxValue - 1, 0x1234_5678_9ABC_DEF0,
    ];

    private static readonly Action<Assembler>[] NegNot =
    [
        a => a.neg(rax), a => a.neg(eax), a => a.neg(ax), a => a.neg(al), a => a.neg(ah), a => a.neg(r9),
        a => a.not(rax), a => a.not(ecx), a => a.not(ah), a => a.not(r10w), a => a.not(sil),
    ];

    private static readonly Action<Assembler>[] Divides =
    [
        a => a.div(rcx), a => a.div(ecx), a => a.div(cx), a => a.div(cl), a => a.div(ch),
        a => a.idiv(rcx), a => a.idiv(ecx), a => a.idiv(cx), a => a.idiv(cl),
        a => a.div(__qword_ptr[rbx]), a => a.idiv(__dword_ptr[rbx + 8]), a => a.idiv(__word_ptr[rbx + 16]),
    ];

    // After the instruction: nothing (its flags live at the exit), an ADD that overwrites them (dead), an SBB that reads CF.
    private static readonly Action<Assembler>?[] Tails = [null, a => a.add(r11, r12), a => a.sbb(r11, r12)];

    private static (TestMachine Slow, TestMachine Fast, TestMachine Il, int Blocks) Machines(Action<Assembler>[] forms)
    {
        var slow = new TestMachine();
        var fast = new TestMachine();
        var il = new TestMachine();
        slow.Cpu.FastPath = false;
        fast.Cpu.IlTier = false;
        il.Cpu.IlTier = true;
        il.Cpu.IlThreshold = 1;
        int blocks = 0;
        foreach (var m in new[] { slow, fast, il })
        {
            m.Load(FaultHandler, [0xF4, 0xEB, 0xFD]); // hlt; jmp $-1
            for (int v = 0; v < 32; v++) m.SetGate(v, FaultHandler);
            blocks = 0;
            foreach (var form in forms)
            foreach (var tail in Tails)
            {
                // mov r8, 5; FORM; TAIL; inc r13; hlt: instructions before and after, so the fault is mid-translation.
                m.Assemble(TestMachine.CodeBase + (ulong)(blocks++ * 0x40), a =>
                {
                    a.mov(r8, 5);
                    form(a);
                    tail?.Invoke(a);
                    a.inc(r13);
                    a.hlt();
                });
            }
        }
        return (slow, fast, il, blocks);
    }

    private static void RunAll(Action<Assembler>[] forms, Func<ulong, ulong, ulong, bool> pick, int seed)
    {
        var (slow, fast, il, blocks) = Machines(forms);
        var rng = new Random(seed);
        var data = new byte[24];
        int runs = 0;
        foreach (ulong a in Values)
        foreach (ulong c in Values)
        foreach (ulong d in (ReadOnlySpan<ulong>)[0, 1, ulong.MaxValue, 0x80, 0x8000_0000, (ulong)rng.NextInt64()])
        {
            if (!pick(a, c, d)) continue;
            rng.NextBytes(data);
            BitConverter.TryWriteBytes(data.AsSpan(0, 8), c);
            ulong flags = (ulong)rng.Next(0, 0x1000) & ReferenceInstructionTests.OSZAPC;
            for (int b = 0; b < blocks; b++)
            {
                foreach (var m in new[] { slow, fast, il })
                {
                    m.Load(RandomProgram.Data, data);
                    for (int k = 0; k < 16; k++) m.S.Gpr[k] = (ulong)(k * 0x1111);
                    m.S.Gpr[0] = a;
                    m.S.Gpr[1] = c;
                    m.S.Gpr[2] = d;
                    m.S.Gpr[9] = c;
                    m.S.Gpr[3] = RandomProgram.Data;
                    m.S.Gpr[4] = TestMachine.StackTop - 0x800;
                    m.S.Gpr[12] = d;
                    m.S.Rip = TestMachine.CodeBase + (ulong)(b * 0x40);
                    m.S.Halted = false;
                    m.Cpu.SetRflags(State.RFlags.Fixed1 | flags);
                    m.Cpu.Run(20);
                }
                MachineComparison.AssertSame(slow, fast, $"block {b} a {a:x} c {c:x} d {d:x} (fast path)");
                MachineComparison.AssertSame(slow, il, $"block {b} a {a:x} c {c:x} d {d:x} (IL)");
                runs++;
            }
        }
        Assert.True(il.Cpu.IlBlocksRun >= runs, $"{il.Cpu.IlBlocksRun} translated runs of {runs}");
    }

    [Fact]
    public void NegAndNotMatchTheInterpreter() => RunAll(NegNot, (_, _, d) => d <= 1, seed: 1);

    [Fact]
    public void DivAndIdivMatchTheInterpreterAndFaultAtTheInstruction() => RunAll(Divides, (_, _, _) => true, seed: 2);

    [Fact]
    public void TheFormsAreOnTheFastPath()
    {
        foreach (var form in NegNot.Concat(Divides))
        {
            byte[] code = TestMachine.Encode(TestMachine.CodeBase, form);
            var decoder = Decoder.Create(64, new ByteArrayCodeReader(code));
            decoder.IP = TestMachine.CodeBase;
            decoder.Decode(out var ins);
            Execution.Cpu.BuildFastOp(in ins, out Execution.FastOp f);
            Assert.True(f.Kind is Execution.FastKind.NegNotR or Execution.FastKind.DivR or Execution.FastKind.DivM, $"{ins}: {f.Kind}");
        }
    }
}
