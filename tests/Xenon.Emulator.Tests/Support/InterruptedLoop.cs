using static Iced.Intel.AssemblerRegisters;

namespace Xenon.Emulator.Tests.Support;

/// <summary>
/// A two-block loop with interrupts enabled and sixteen counting handlers, run in short random budgets with random
/// interrupts raised between runs on two machines: one dispatching as the test sets it up (chained blocks, translated
/// or interpreted), one the plain interpreter polling its source every block. Both must retire the same instructions,
/// stop at the same RIP and have taken the same interrupts: a chain must end at the block boundary where the
/// interpreter takes the interrupt.
/// </summary>
internal static class InterruptedLoop
{
    /// <summary>The loop's machine, set up by <paramref name="configure"/> (fast path, tiers) before its code goes in.</summary>
    public static TestMachine Build(QueuedInterrupts source, Action<Execution.Cpu> configure)
    {
        var m = new TestMachine();
        configure(m.Cpu);
        for (int v = 0x20; v < 0x30; v++)
        {
            ulong h = TestMachine.HandlerBase + (ulong)(v - 0x20) * 32;
            m.SetGate(v, h);
            m.Assemble(h, a => { a.inc(__qword_ptr[0x8000 + 8 * (v - 0x20)]); a.iretq(); });
        }
        m.Assemble(TestMachine.CodeBase, a =>
        {
            var top = a.CreateLabel();
            var skip = a.CreateLabel();
            a.Label(ref top);
            a.inc(rax);
            a.test(al, 1);
            a.jz(skip);
            a.add(rbx, rax);
            a.Label(ref skip);
            a.mov(__qword_ptr[0x9000], rbx);
            a.jmp(top);
        });
        m.Cpu.SetRflags(State.RFlags.Fixed1 | State.RFlags.IF);
        m.Cpu.Interrupts = source;
        return m;
    }

    /// <summary>400 rounds of random interrupts and budgets on both machines, compared after each; returns the machine
    /// under test for its counters.</summary>
    public static TestMachine RunAgainstInterpreter(int seed, Action<Execution.Cpu> configure)
    {
        var rng = new Random(seed);
        var fastSource = new SignallingQueuedInterrupts();
        var slowSource = new QueuedInterrupts();
        var fast = Build(fastSource, configure);
        var slow = Build(slowSource, cpu => { cpu.FastPath = false; cpu.IlTier = false; });
        for (int round = 0; round < 400; round++)
        {
            for (int k = rng.Next(-2, 3); k > 0; k--)
            {
                int v = 0x20 + rng.Next(16);
                fastSource.Request(v);
                slowSource.Request(v);
            }
            long budget = rng.Next(1, 300);
            fast.Cpu.Run(budget);
            slow.Cpu.Run(budget);
            Assert.True(slow.S.Rip == fast.S.Rip, $"round {round} budget {budget}: RIP {fast.S.Rip:x} interpreter {slow.S.Rip:x}, retired {fast.Cpu.InstructionsRetired} / {slow.Cpu.InstructionsRetired}, queue {fastSource.Requests.Count} / {slowSource.Requests.Count}, counts {fast.R64(0x8000)}.. / {slow.R64(0x8000)}, translated runs {fast.Cpu.IlBlocksRun}");
            Assert.Equal(slow.Cpu.InstructionsRetired, fast.Cpu.InstructionsRetired);
            Assert.Equal(slow.S.Gpr[4], fast.S.Gpr[4]);
            Assert.True(fast.Memory.Ram.Slice(0x8000, 128).SequenceEqual(slow.Memory.Ram.Slice(0x8000, 128)), $"round {round}: counts differ");
        }
        return fast;
    }
}
