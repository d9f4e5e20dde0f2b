using Xenon.Emulator.Execution;
using Xenon.Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Xenon.Emulator.Tests;

/// <summary>
/// Two dispatch rules of P7: a block translated early because it got hot fast (<see cref="Cpu.IlEarlyThreshold"/> runs
/// within <see cref="Cpu.IlEarlyWindow"/> instructions), and a block of fast forms only, run interpreted, chained to its
/// successor without going back to <c>Run</c> (<see cref="Cpu.ChainInterpreted"/>). Both must leave the interpreter's
/// state and stop where it stops (budgets, interrupts).
/// </summary>
public sealed class IlTierEarlyAndChainTests
{
    private const ulong FaultHandler = 0x50000;

    // Two blocks a turn (the Jcc in the middle splits them), memory and flags through ADC.
    private static void TwoBlockLoop(Iced.Intel.Assembler a, int turns)
    {
        var top = a.CreateLabel();
        var skip = a.CreateLabel();
        a.mov(rcx, turns);
        a.mov(rbx, TestMachine.DataBase);
        a.Label(ref top);
        a.mov(rdx, __qword_ptr[rbx + rcx * 8]);
        a.add(rax, rdx);
        a.test(cl, 3);
        a.jz(skip);
        a.adc(rsi, rax);
        a.mov(__qword_ptr[rbx + rcx * 8 + 8], rsi);
        a.Label(ref skip);
        a.dec(rcx);
        a.jnz(top);
        a.hlt();
    }

    private static (TestMachine Fast, TestMachine Slow) Pair(Action<Iced.Intel.Assembler> program, bool il)
    {
        var fast = new TestMachine();
        var slow = new TestMachine();
        slow.Cpu.FastPath = false;
        fast.Cpu.IlTier = il;
        foreach (var m in new[] { fast, slow })
        {
            m.Load(FaultHandler, [0xF4, 0xEB, 0xFD]); // hlt; jmp $-1
            for (int v = 0; v < 32; v++) m.SetGate(v, FaultHandler);
            var data = new byte[0x4000];
            new Random(3).NextBytes(data);
            m.Load(TestMachine.DataBase, data);
            m.Assemble(TestMachine.CodeBase, program);
        }
        return (fast, slow);
    }

    [Fact]
    public void ABlockHotWithinTheWindowIsTranslatedEarly()
    {
        var (il, slow) = Pair(a => TwoBlockLoop(a, 1500), il: true);
        il.Cpu.IlThreshold = 1_000_000;
        il.Cpu.IlEarlyThreshold = 100;
        il.Cpu.IlEarlyWindow = 1_000_000;
        il.Cpu.Run(1_000_000);
        slow.Cpu.Run(1_000_000);
        Assert.True(slow.S.Halted);
        MachineComparison.AssertSame(slow, il, "early");
        Assert.True(il.Cpu.IlBlocksTranslated >= 2, $"{il.Cpu.IlBlocksTranslated} blocks translated");
        Assert.True(il.Cpu.IlBlocksRun > 1000, $"{il.Cpu.IlBlocksRun} translated block runs");
    }

    [Theory]
    [InlineData(100, 50)]  // 100 runs take ~700 instructions: slower than the window
    [InlineData(0, 1_000_000)] // off
    public void ABlockNotHotFastEnoughWaitsForTheThreshold(int early, long window)
    {
        var (il, slow) = Pair(a => TwoBlockLoop(a, 1500), il: true);
        il.Cpu.IlThreshold = 1_000_000;
        il.Cpu.IlEarlyThreshold = early;
        il.Cpu.IlEarlyWindow = window;
        il.Cpu.Run(1_000_000);
        slow.Cpu.Run(1_000_000);
        MachineComparison.AssertSame(slow, il, "not early");
        Assert.Equal(0, il.Cpu.IlBlocksTranslated);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void InterpretedBlocksOfFastFormsChainAndComputeTheSame(bool chain)
    {
        var (fast, slow) = Pair(a => TwoBlockLoop(a, 1500), il: false);
        fast.Cpu.ChainInterpreted = chain;
        fast.Cpu.Run(1_000_000);
        slow.Cpu.Run(1_000_000);
        Assert.True(slow.S.Halted);
        MachineComparison.AssertSame(slow, fast, "chained");
        if (chain) Assert.True(fast.Cpu.InterpretedBlocksChained > 2000, $"{fast.Cpu.InterpretedBlocksChained} chained");
        else Assert.Equal(0, fast.Cpu.InterpretedBlocksChained);
        Assert.Equal(0, slow.Cpu.InterpretedBlocksChained); // the reference interpreter never chains
    }

    [Fact]
    public void ABlockWithAnInstructionWithoutAFastFormIsNotChainedFrom()
    {
        // CDQE has no fast form: the block holding it goes back to Run (it could be any mode-changing instruction).
        var (fast, slow) = Pair(a =>
        {
            var top = a.CreateLabel();
            a.mov(rcx, 500);
            a.Label(ref top);
            a.mov(eax, ecx);
            a.cdqe();
            a.dec(rcx);
            a.jnz(top);
            a.hlt();
        }, il: false);
        fast.Cpu.Run(1_000_000);
        slow.Cpu.Run(1_000_000);
        MachineComparison.AssertSame(slow, fast, "cdqe");
        Assert.Equal(0, fast.Cpu.InterpretedBlocksChained);
    }

    [Theory]
    [InlineData(41, false)]
    [InlineData(42, false)]
    [InlineData(43, true)]
    public void RandomLoopsWithRandomBudgetsMatchTheInterpreter(int seed, bool il)
    {
        // Whole runs of random length, not block by block: chaining must stop exactly at the budget.
        var rng = new Random(seed);
        long chained = 0;
        for (int program = 0; program < 10; program++)
        {
            byte[] code = RandomProgram.BuildLoop(rng, TestMachine.CodeBase, 30);
            var data = new byte[0x1000];
            rng.NextBytes(data);
            var regs = new ulong[16];
            for (int k = 0; k < 16; k++) regs[k] = RandomProgram.Interesting(rng);
            regs[3] = RandomProgram.Data;
            regs[4] = TestMachine.StackTop - 0x800;
            regs[6] = (ulong)rng.Next(0, 0x40);
            regs[7] = (ulong)rng.Next(0, 0x40);
            var fast = new TestMachine();
            var slow = new TestMachine();
            slow.Cpu.FastPath = false;
            fast.Cpu.IlTier = il;
            fast.Cpu.IlThreshold = 1_000_000;
            fast.Cpu.IlEarlyThreshold = 20;
            fast.Cpu.IlEarlyWindow = 2_000;
            foreach (var m in new[] { slow, fast })
            {
                m.Load(RandomProgram.Data, data);
                m.Load(TestMachine.CodeBase, code);
                m.W64(RandomProgram.LoopCounter, 40);
                m.Load(FaultHandler, [0xF4, 0xEB, 0xFD]);
                for (int v = 0; v < 32; v++) m.SetGate(v, FaultHandler);
                for (int k = 0; k < 16; k++) m.S.Gpr[k] = regs[k];
            }
            for (int run = 0; run < 300 && !slow.S.Halted; run++)
            {
                long budget = rng.Next(1, 90);
                slow.Cpu.Run(budget);
                fast.Cpu.Run(budget);
                MachineComparison.AssertSame(slow, fast, $"seed {seed} program {program} run {run}");
            }
            chained += fast.Cpu.InterpretedBlocksChained;
        }
        Assert.True(chained > 0, "no interpreted block was chained");
    }

    [Fact]
    public void ChainedInterpretedBlocksTakeInterruptsAtTheInterpretersBoundaries()
    {
        // As IlTierDifferentialTests.ChainedBlocksTakeInterruptsAtTheInterpretersBoundaries, with nothing translated.
        var fast = InterruptedLoop.RunAgainstInterpreter(9, cpu =>
        {
            cpu.FastPath = true;
            cpu.IlTier = false;
        });
        Assert.True(fast.Cpu.InterpretedBlocksChained > 1000, $"{fast.Cpu.InterpretedBlocksChained} chained blocks");
    }
}
