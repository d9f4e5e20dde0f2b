using Iced.Intel;
using Xenon.Emulator.Execution;
using Xenon.Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Xenon.Emulator.Tests;

/// <summary>LOCK-prefixed read-modify-write instructions are atomic across vCPUs sharing memory.</summary>
public sealed class LockTests
{
    private const ulong Counter = 0x200000;
    private const int Iterations = 200_000;

    [Theory]
    [InlineData("inc")]
    [InlineData("xadd")]
    [InlineData("cmpxchg")]
    public void TwoCpusIncrementingOneCounterLoseNothing(string how)
    {
        var m = new TestMachine();
        m.Assemble(TestMachine.CodeBase, a =>
        {
            var loop = a.CreateLabel();
            var retry = a.CreateLabel();
            a.mov(ecx, Iterations);
            a.mov(rdi, Counter);
            a.Label(ref loop);
            switch (how)
            {
                case "inc":
                    a.@lock.inc(__qword_ptr[rdi]);
                    break;
                case "xadd":
                    a.mov(eax, 1);
                    a.@lock.xadd(__qword_ptr[rdi], rax);
                    break;
                default:
                    a.mov(rax, __qword_ptr[rdi]);
                    a.Label(ref retry);
                    a.lea(rbx, __[rax + 1]);
                    a.@lock.cmpxchg(__qword_ptr[rdi], rbx);
                    a.jne(retry);
                    break;
            }
            a.dec(ecx);
            a.jnz(loop);
            a.hlt();
        });
        RunTogether(m.Cpu, SecondCpu(m), long.MaxValue);
        Assert.Equal(2UL * Iterations, m.R64(Counter));
    }

    [Theory]
    [InlineData(Counter + 0x1000 - 4)] // across a page boundary (adjacent physical pages)
    [InlineData(Counter + 0x40 - 3)]   // across a cache line
    [InlineData(Counter + 1)]          // misaligned within a line
    public void AMisalignedLockedOperandIsAtomicToo(ulong address)
    {
        var m = new TestMachine();
        m.Assemble(TestMachine.CodeBase, a =>
        {
            var loop = a.CreateLabel();
            a.mov(ecx, Iterations);
            a.mov(rdi, address);
            a.Label(ref loop);
            a.mov(eax, 1);
            a.@lock.xadd(__qword_ptr[rdi], rax);
            a.dec(ecx);
            a.jnz(loop);
            a.hlt();
        });
        RunTogether(m.Cpu, SecondCpu(m), long.MaxValue);
        Assert.Equal(2UL * Iterations, m.R64(address));
    }

    [Fact]
    public void CodeRewrittenByAnotherCpuIsSeenAfterTheWritersSignal()
    {
        // CPU A rewrites the immediate of "mov eax, imm32" in a routine CPU B keeps calling, then raises a flag; B,
        // once it sees the flag, must get the new value on its next call (cross-modifying code with a signal), every
        // round, however the decoding of that page interleaves with the stores.
        const ulong Routine = TestMachine.CodeBase + 0x800, Flag = Counter + 0x100, Seen = Counter + 0x200;
        const int Rounds = 2000;
        var m = new TestMachine();
        m.Assemble(Routine, a =>
        {
            a.mov(eax, 0);
            a.ret();
        });
        // B: loop { call routine; if flag != 0 and eax != last seen: seen = eax, ack }; halt when eax == Rounds
        m.Assemble(TestMachine.CodeBase, a =>
        {
            var loop = a.CreateLabel();
            var done = a.CreateLabel();
            a.mov(rdi, Flag);
            a.Label(ref loop);
            a.mov(rbx, __qword_ptr[rdi]);          // the flag (A's round number), read before the call
            a.mov(rax, Routine);
            a.call(rax);
            a.cmp(rax, rbx);
            a.jb(done);                            // the flag says round N, the code still returned less: stale code
            a.mov(__qword_ptr[Seen], rax);
            a.cmp(eax, Rounds);
            a.jne(loop);
            a.Label(ref done);
            a.hlt();
        });
        var writer = SecondCpu(m);
        writer.State.Rip = TestMachine.CodeBase + 0x400;
        m.Assemble(TestMachine.CodeBase + 0x400, a =>
        {
            var loop = a.CreateLabel();
            a.mov(ecx, 1);
            a.mov(rsi, Routine + 1); // the imm32 of the mov
            a.mov(rdi, Flag);
            a.Label(ref loop);
            a.mov(__dword_ptr[rsi], ecx);
            a.mov(__qword_ptr[rdi], rcx);
            for (int i = 0; i < 50; i++) a.pause();
            a.inc(ecx);
            a.cmp(ecx, Rounds + 1);
            a.jne(loop);
            a.hlt();
        });
        RunTogether(m.Cpu, writer, 2_000_000_000);
        Assert.Equal((ulong)Rounds, m.R64(Seen));
    }

    /// <summary>A second CPU on the machine's memory and code tracker, in the first one's state.</summary>
    private static Cpu SecondCpu(TestMachine m)
    {
        var second = new Cpu(m.Memory, m.Cpu.CodePages);
        CopyState(m.Cpu, second);
        return second;
    }

    /// <summary>Runs both CPUs on threads of their own until each stops.</summary>
    private static void RunTogether(Cpu first, Cpu second, long budget)
    {
        var t1 = new Thread(() => first.Run(budget));
        var t2 = new Thread(() => second.Run(budget));
        t1.Start();
        t2.Start();
        t1.Join();
        t2.Join();
    }

    private static void CopyState(Cpu from, Cpu to)
    {
        var a = from.State;
        var b = to.State;
        b.Cr0 = a.Cr0;
        b.Cr3 = a.Cr3;
        b.Cr4 = a.Cr4;
        b.Efer = a.Efer;
        b.Gdtr = a.Gdtr;
        b.Idtr = a.Idtr;
        b.Segments = a.Segments;
        b.Tr = a.Tr;
        b.Rip = a.Rip;
        b.Gpr[4] = a.Gpr[4] - 0x1000;
        to.SetRflags(from.GetRflags());
        to.StateChanged();
    }
}
