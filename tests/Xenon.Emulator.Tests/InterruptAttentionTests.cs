using Xenon.Emulator.Memory;
using Xenon.Emulator.State;
using Xenon.Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Xenon.Emulator.Tests;

/// <summary>
/// The attention word (<see cref="InterruptAttention"/>): a signalling interrupt source is polled only after it raised
/// it, and interrupts are still taken at the same block boundary as with a source polled before every block.
/// </summary>
public sealed class InterruptAttentionTests
{
    private const ulong Handlers = TestMachine.HandlerBase;

    /// <summary>Requests in a queue; counts polls. Signals through the attention word when <c>Signals</c>.</summary>
    private class QueueSource : IInterruptSource
    {
        public readonly Queue<int> Requests = new();
        public int Polls;
        public virtual bool HasPendingInterrupt
        {
            get
            {
                Polls++;
                return Requests.Count > 0;
            }
        }

        public int AcknowledgeInterrupt() => Requests.Count > 0 ? Requests.Dequeue() : -1;

        public virtual void Request(int vector) => Requests.Enqueue(vector);
    }

    private sealed class SignallingSource : QueueSource, ISignalsInterrupts
    {
        private InterruptAttention? _attention;
        public void AttachAttention(InterruptAttention attention) => _attention = attention;

        public override void Request(int vector)
        {
            base.Request(vector);
            _attention!.Raise();
        }
    }

    /// <summary>Holds requests back while the task priority class is 2 or more (a TPR that CR8 writes).</summary>
    private sealed class PrioritySource : QueueSource, ISignalsInterrupts, ITaskPriority
    {
        public ulong TaskPriorityClass { get; set; }
        public override bool HasPendingInterrupt => base.HasPendingInterrupt && TaskPriorityClass < 2;
        public void AttachAttention(InterruptAttention attention) { }
    }

    // Handlers for vectors 0x20..0x2F: count the vector in memory at 0x8000 + 8 * (v - 0x20), then IRETQ.
    private static TestMachine Machine(QueueSource source, Action<Iced.Intel.Assembler> program)
    {
        var m = new TestMachine();
        for (int v = 0x20; v < 0x30; v++)
        {
            ulong h = Handlers + (ulong)(v - 0x20) * 32;
            m.SetGate(v, h);
            m.Assemble(h, a => { a.inc(__qword_ptr[0x8000 + 8 * (v - 0x20)]); a.iretq(); });
        }
        m.Assemble(TestMachine.CodeBase, program);
        m.Cpu.SetRflags(RFlags.Fixed1 | RFlags.IF);
        m.Cpu.Interrupts = source;
        return m;
    }

    private static void CountingLoop(Iced.Intel.Assembler a)
    {
        var top = a.CreateLabel();
        a.Label(ref top);
        a.inc(rax);
        a.add(rbx, rax);
        a.jmp(top);
    }

    [Fact]
    public void AQuietSignallingSourceIsNotPolled()
    {
        var source = new SignallingSource();
        var m = Machine(source, CountingLoop);
        m.Cpu.Run(30_000);
        Assert.Equal(1, source.Polls); // the poll owed to attaching, then none
        var polled = new QueueSource();
        var p = Machine(polled, CountingLoop);
        p.Cpu.Run(30_000);
        Assert.True(polled.Polls > 5_000, $"{polled.Polls} polls");
    }

    [Fact]
    public void RequestsAreTakenAtTheSameBoundaryAsWithPolling()
    {
        var rng = new Random(5);
        var signalling = new SignallingSource();
        var polled = new QueueSource();
        var a = Machine(signalling, CountingLoop);
        var b = Machine(polled, CountingLoop);
        for (int round = 0; round < 200; round++)
        {
            int requests = rng.Next(3);
            for (int k = 0; k < requests; k++)
            {
                int v = 0x20 + rng.Next(16);
                signalling.Request(v);
                polled.Request(v);
            }
            long budget = rng.Next(1, 40);
            a.Cpu.Run(budget);
            b.Cpu.Run(budget);
            Assert.Equal(b.S.Rip, a.S.Rip);
            Assert.Equal(b.Cpu.InstructionsRetired, a.Cpu.InstructionsRetired);
            Assert.Equal(b.S.Gpr[4], a.S.Gpr[4]);
            Assert.True(a.Memory.Ram.Slice(0x8000, 128).SequenceEqual(b.Memory.Ram.Slice(0x8000, 128)), $"round {round}: counts differ");
        }
        Assert.True(a.R64(0x8000) + a.R64(0x8008) > 0);
        Assert.True(signalling.Polls < polled.Polls / 4, $"{signalling.Polls} polls against {polled.Polls}");
    }

    [Fact]
    public void EveryWaitingRequestIsTakenAfterOneRaise()
    {
        var source = new SignallingSource();
        var m = Machine(source, CountingLoop);
        m.Cpu.Run(10);
        source.Requests.Enqueue(0x21);
        source.Request(0x22); // one raise for both
        m.Cpu.Run(50);
        Assert.Equal(1UL, m.R64(0x8008));
        Assert.Equal(1UL, m.R64(0x8010));
    }

    [Fact]
    public void ARequestHeldByIfIsTakenAfterSti()
    {
        var source = new SignallingSource();
        var m = Machine(source, a =>
        {
            var wait = a.CreateLabel();
            a.cli();
            a.mov(ecx, 100);
            a.Label(ref wait);
            a.dec(ecx);
            a.jnz(wait);
            a.sti();
            a.mov(edx, 7);
            CountingLoop(a);
        });
        m.Cpu.Run(3);
        source.Request(0x23); // raised while IF = 0: must survive the blocks of the wait loop
        m.Cpu.Run(200);
        Assert.Equal(0UL, m.R64(0x8018));
        m.Cpu.Run(10);
        Assert.Equal(1UL, m.R64(0x8018));
        Assert.Equal(7UL, m.S.Gpr[2]); // the instruction in the STI shadow ran first
    }

    [Fact]
    public void LoweringCr8PollsAgain()
    {
        var source = new PrioritySource { TaskPriorityClass = 15 };
        var m = Machine(source, a =>
        {
            var wait = a.CreateLabel();
            a.mov(ecx, 50);
            a.Label(ref wait);
            a.dec(ecx);
            a.jnz(wait);
            a.xor(eax, eax);
            a.mov(cr8, rax);
            CountingLoop(a);
        });
        source.Requests.Enqueue(0x24); // pending but held by the TPR; the source does not raise for it
        m.Cpu.Run(60);
        Assert.Equal(0UL, m.R64(0x8020));
        m.Cpu.Run(50);
        Assert.Equal(1UL, m.R64(0x8020));
    }
}
