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
        var second = new Cpu(m.Memory, m.Cpu.CodePages);
        CopyState(m.Cpu, second);
        var t1 = new Thread(() => m.Cpu.Run(long.MaxValue));
        var t2 = new Thread(() => second.Run(long.MaxValue));
        t1.Start();
        t2.Start();
        t1.Join();
        t2.Join();
        Assert.Equal(2UL * Iterations, m.R64(Counter));
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
