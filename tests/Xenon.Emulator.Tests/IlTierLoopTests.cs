using Xenon.Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Xenon.Emulator.Tests;

/// <summary>
/// A translated block that branches to its own start loops inside its method (<c>Cpu.IlLoopBack</c>): it must stop
/// where the interpreter stops (budget, interrupts through the attention word, faults on a later turn, a store into
/// its own code) and leave the same state.
/// </summary>
public sealed class IlTierLoopTests
{
    private const ulong FaultHandler = 0x50000;

    private static (TestMachine Il, TestMachine Slow) Pair(Action<Iced.Intel.Assembler> program, bool loops = true)
    {
        var il = new TestMachine();
        var slow = new TestMachine();
        slow.Cpu.FastPath = false;
        il.Cpu.IlTier = true;
        il.Cpu.IlThreshold = 3;
        il.Cpu.IlLoops = loops;
        foreach (var m in new[] { il, slow })
        {
            m.Load(FaultHandler, [0xF4, 0xEB, 0xFD]); // hlt; jmp $-1
            for (int v = 0; v < 32; v++) m.SetGate(v, FaultHandler);
            m.Assemble(TestMachine.CodeBase, program);
        }
        return (il, slow);
    }

    // One block looping to itself on a Jcc: a load, a store, flags into ADC, a counter.
    private static void CountedLoop(Iced.Intel.Assembler a)
    {
        var top = a.CreateLabel();
        a.mov(rcx, 5000);
        a.mov(rbx, TestMachine.DataBase);
        a.Label(ref top);
        a.mov(rdx, __qword_ptr[rbx + rcx * 8]);
        a.add(rax, rdx);
        a.adc(rsi, 0);
        a.xor(rdx, rcx);
        a.mov(__qword_ptr[rbx + rcx * 8 + 8], rdx);
        a.dec(rcx);
        a.jnz(top);
        a.hlt();
    }

    [Fact]
    public void ASelfLoopRunsInsideItsMethodAndComputesTheSame()
    {
        var (il, slow) = Pair(CountedLoop);
        il.Cpu.Run(1_000_000);
        slow.Cpu.Run(1_000_000);
        Assert.True(slow.S.Halted);
        MachineComparison.AssertSame(slow, il, "loop");
        Assert.True(il.Cpu.IlLoopTurns > 4000, $"{il.Cpu.IlLoopTurns} turns inside the method");
    }

    [Theory]
    [InlineData(41, true)]
    [InlineData(42, true)]
    [InlineData(43, false)]
    public void RandomBudgetsStopWhereTheInterpreterStops(int seed, bool loops)
    {
        var rng = new Random(seed);
        var (il, slow) = Pair(CountedLoop, loops);
        for (int run = 0; run < 2000 && !slow.S.Halted; run++)
        {
            long budget = rng.Next(1, 60);
            il.Cpu.Run(budget);
            slow.Cpu.Run(budget);
            MachineComparison.AssertSame(slow, il, $"run {run} budget {budget}");
        }
        Assert.True(slow.S.Halted);
        if (loops) Assert.True(il.Cpu.IlLoopTurns > 1000, $"{il.Cpu.IlLoopTurns} turns");
        else Assert.Equal(0, il.Cpu.IlLoopTurns);
    }

    [Fact]
    public void AFaultOnALaterTurnIsDeliveredAtItsInstruction()
    {
        // Each turn reads 256 bytes further on; past the 16 MiB of mapped memory the load page-faults. (A turn that enters
        // a new page leaves for the interpreter, whose access fills the TLB entry: the other 15 turns of a page loop.)
        var (il, slow) = Pair(a =>
        {
            var top = a.CreateLabel();
            a.mov(rbx, TestMachine.DataBase);
            a.Label(ref top);
            a.inc(rax);
            a.mov(rdx, __qword_ptr[rbx]);
            a.add(rbx, 0x100);
            a.jmp(top);
        });
        il.Cpu.Run(1_000_000);
        slow.Cpu.Run(1_000_000);
        Assert.True(slow.S.Halted);
        MachineComparison.AssertSame(slow, il, "fault");
        Assert.Equal(slow.S.Cr2, il.S.Cr2);
        Assert.True(il.Cpu.IlLoopTurns > 100, $"{il.Cpu.IlLoopTurns} turns");
    }

    [Fact]
    public void AStoreIntoItsOwnCodeEndsTheLoop()
    {
        // Every 16th turn the loop rewrites its own ADD immediate (the others store to data, so the block gets hot in
        // between): the turn after must see the new byte.
        var (il, slow) = Pair(a =>
        {
            var top = a.CreateLabel();
            a.Label(ref top);
            a.add(rax, 0x11); // 48 83 C0 ib at the code's start: the immediate is byte 3
            a.inc(rdx);
            a.mov(r8, TestMachine.DataBase);
            a.mov(r9, TestMachine.CodeBase + 3);
            a.test(cl, 15);
            a.cmovz(r8, r9);
            a.mov(__byte_ptr[r8], dl);
            a.dec(rcx);
            a.jnz(top);
            a.hlt();
        });
        il.S.Gpr[1] = slow.S.Gpr[1] = 300;
        il.Cpu.Run(1_000_000);
        slow.Cpu.Run(1_000_000);
        Assert.True(slow.S.Halted);
        MachineComparison.AssertSame(slow, il, "self-modifying loop");
        Assert.True(il.Cpu.IlLoopTurns > 50, $"{il.Cpu.IlLoopTurns} turns");
    }

    [Fact]
    public void InterruptsAreTakenAtTheTurnTheInterpreterTakesThem()
    {
        var (il, slow) = Pair(a =>
        {
            var top = a.CreateLabel();
            a.Label(ref top);
            a.inc(rax);
            a.add(rbx, rax);
            a.mov(__qword_ptr[0x9000], rbx);
            a.jmp(top);
        });
        var fastSource = new SignallingQueuedInterrupts();
        var slowSource = new QueuedInterrupts();
        foreach (var (m, src) in new (TestMachine, QueuedInterrupts)[] { (il, fastSource), (slow, slowSource) })
        {
            for (int v = 0x20; v < 0x30; v++)
            {
                ulong h = TestMachine.HandlerBase + 0x100 + (ulong)(v - 0x20) * 32;
                m.SetGate(v, h);
                m.Assemble(h, a => { a.inc(__qword_ptr[0x8000 + 8 * (v - 0x20)]); a.iretq(); });
            }
            m.Cpu.SetRflags(State.RFlags.Fixed1 | State.RFlags.IF);
            m.Cpu.Interrupts = src;
        }
        var rng = new Random(9);
        for (int round = 0; round < 400; round++)
        {
            for (int k = rng.Next(-2, 3); k > 0; k--)
            {
                int v = 0x20 + rng.Next(16);
                fastSource.Request(v);
                slowSource.Request(v);
            }
            long budget = rng.Next(1, 400);
            il.Cpu.Run(budget);
            slow.Cpu.Run(budget);
            MachineComparison.AssertSame(slow, il, $"round {round} budget {budget}");
            Assert.True(il.Memory.Ram.Slice(0x8000, 128).SequenceEqual(slow.Memory.Ram.Slice(0x8000, 128)), $"round {round}: counts differ");
        }
        Assert.True(il.Cpu.IlLoopTurns > 1000, $"{il.Cpu.IlLoopTurns} turns");
    }
}
