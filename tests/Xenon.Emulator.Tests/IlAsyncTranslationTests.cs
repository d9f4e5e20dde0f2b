using Xenon.Emulator.Execution;
using Xenon.Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Xenon.Emulator.Tests;

/// <summary>
/// Background translation (<c>Cpu.IlAsync</c>, <c>IlTranslatorThread</c>): a hot block keeps running interpreted while
/// the worker compiles it, and its translation is installed at its first run after that, only if the block (and every
/// region member) still holds the code it was emitted from. Each test has its own translator, most with a gate that
/// holds the worker so the vCPU's side can be checked at a known point; the end state is compared with the interpreter.
/// </summary>
public sealed class IlAsyncTranslationTests
{
    private const ulong FaultHandler = 0x50000;
    private const ulong FarMember = TestMachine.CodeBase + 0x3000; // on another page than the head
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>A worker whose jobs wait for <see cref="Open"/> (once opened, the rest pass straight through).</summary>
    private sealed class GatedTranslator : IDisposable
    {
        private readonly ManualResetEventSlim _gate = new(false);
        private readonly List<IlTranslationJob> _seen = [];
        public IlTranslatorThread Worker { get; }

        public GatedTranslator(int capacity = 16)
        {
            Worker = new IlTranslatorThread(capacity);
            Worker.BeforeJob = job =>
            {
                lock (_seen) _seen.Add(job);
                _gate.Wait();
            };
        }

        public IlTranslationJob[] Seen
        {
            get { lock (_seen) return [.. _seen]; }
        }

        /// <summary>Waits until the worker holds a job at the gate (it dequeued it and waits to translate it).</summary>
        public IlTranslationJob Holding()
        {
            long deadline = Environment.TickCount64 + (long)Patience.TotalMilliseconds;
            while (Seen.Length == 0)
            {
                Assert.True(Environment.TickCount64 < deadline, "the worker never took a job");
                Thread.Sleep(1);
            }
            return Seen[0];
        }

        public void Open()
        {
            _gate.Set();
            Assert.True(Worker.WaitIdle(Patience), "the worker did not finish its jobs");
        }

        public void Dispose()
        {
            _gate.Set();
            Worker.Dispose();
            _gate.Dispose();
        }
    }

    private static (TestMachine Il, TestMachine Slow) Pair(IlTranslatorThread worker, Action<TestMachine> load, bool regions = false)
    {
        var il = new TestMachine();
        var slow = new TestMachine();
        slow.Cpu.FastPath = false;
        il.Cpu.IlTier = true;
        il.Cpu.IlAsync = true;
        il.Cpu.Translator = worker;
        il.Cpu.IlThreshold = 3;
        il.Cpu.IlRegions = regions;
        il.Cpu.IlRegionMinRuns = 1;
        foreach (var m in new[] { il, slow })
        {
            m.Load(FaultHandler, [0xF4, 0xEB, 0xFD]); // hlt; jmp $-1
            for (int v = 0; v < 32; v++) m.SetGate(v, FaultHandler);
            load(m);
        }
        return (il, slow);
    }

    // One block looping to itself: a load, an add of an immediate (what a test rewrites), a store, a counter.
    private static void Loop(TestMachine m, int addend = 1) => m.Assemble(TestMachine.CodeBase, a =>
    {
        var top = a.CreateLabel();
        a.mov(rbx, TestMachine.DataBase);
        a.Label(ref top);
        a.mov(rdx, __qword_ptr[rbx + 8]);
        a.add(rax, rdx);
        a.add(rsi, addend);
        a.mov(__qword_ptr[rbx + 16], rax);
        a.dec(rcx);
        a.jnz(top);
        a.hlt();
    });

    private static void Start(TestMachine a, TestMachine b, ulong count)
    {
        foreach (var m in new[] { a, b })
        {
            m.S.Gpr[1] = count;
            m.W64(TestMachine.DataBase + 8, 0x0123_4567_89AB_CDEF);
        }
    }

    [Fact]
    public void TheBlockRunsInterpretedUntilTheWorkerFinishesThenTranslated()
    {
        using var t = new GatedTranslator();
        var (il, slow) = Pair(t.Worker, m => Loop(m));
        Start(il, slow, 3000);
        il.Cpu.Run(1000);
        slow.Cpu.Run(1000);
        IlTranslationJob job = t.Holding();
        Assert.Equal(1, il.Cpu.IlAsyncQueued);
        // Held at the gate: the vCPU went on interpreting the hot block, nothing installed or run translated.
        il.Cpu.Run(5000);
        slow.Cpu.Run(5000);
        MachineComparison.AssertSame(slow, il, "while the worker is held");
        Assert.Equal(0, il.Cpu.IlBlocksTranslated);
        Assert.Equal(0, il.Cpu.IlInstructionsRun);
        Assert.False(job.Finished);
        Assert.Same(job, job.Live[0].Pending);
        Assert.Equal(1, il.Cpu.IlAsyncQueued); // queued once, not again at every run

        t.Open();
        Assert.True(job.Finished);
        il.Cpu.Run(1_000_000);
        slow.Cpu.Run(1_000_000);
        Assert.True(slow.S.Halted);
        MachineComparison.AssertSame(slow, il, "after the install");
        Assert.Equal(1, il.Cpu.IlAsyncInstalled);
        Assert.Same(job.Il, job.Live[0].Il);
        Assert.Null(job.Live[0].Pending);
        Assert.True(il.Cpu.IlInstructionsRun > 5000, $"{il.Cpu.IlInstructionsRun} instructions translated");
        Assert.True(il.Cpu.IlTranslationWorkerCpuNs > 0 || !OperatingSystem.IsLinux(), "the worker's CPU time is counted");
    }

    [Fact]
    public void ACodeWriteDuringTheCompileDiscardsTheTranslation()
    {
        using var t = new GatedTranslator();
        var (il, slow) = Pair(t.Worker, m => Loop(m));
        Start(il, slow, 3000);
        il.Cpu.Run(100);
        slow.Cpu.Run(100);
        IlTranslationJob job = t.Holding();
        DecodedBlock block = job.Live[0];
        // The page is rewritten (as DMA would: TestMachine.Load notifies the code-page tracker) while the worker is held.
        foreach (var m in new[] { il, slow }) Loop(m, 5);
        t.Open();
        Assert.True(job.Finished);
        Assert.NotNull(job.Il); // the worker compiled what it was given: the old code
        // Its first run after that would install it: refused, the page's generation moved on since the snapshot.
        Assert.Null(il.Cpu.InstallTranslation(block, job));
        Assert.Equal(1, il.Cpu.IlAsyncDiscarded);
        Assert.Null(block.Il);
        Assert.Null(block.Pending);
        RunWaitingForTheWorker(il, slow, t.Worker);
        MachineComparison.AssertSame(slow, il, "after the rewrite");
        Assert.NotSame(job.Il, block.Il);
        Assert.True(il.Cpu.IlAsyncInstalled >= 1, "the new code is translated afresh");
        Assert.True(il.Cpu.IlInstructionsRun > 1000, $"{il.Cpu.IlInstructionsRun} instructions translated");
    }

    [Fact]
    public void ARewrittenBlockIsReDecodedAndNeverGetsTheOldTranslation()
    {
        using var t = new GatedTranslator();
        var (il, slow) = Pair(t.Worker, m => Loop(m));
        Start(il, slow, 3000);
        il.Cpu.Run(100);
        slow.Cpu.Run(100);
        IlTranslationJob job = t.Holding();
        foreach (var m in new[] { il, slow }) Loop(m, 7);
        t.Open();
        // Nothing calls the install by hand here: the next fetch re-decodes the block, which forgets the job.
        RunWaitingForTheWorker(il, slow, t.Worker);
        MachineComparison.AssertSame(slow, il, "rewritten");
        Assert.NotSame(job.Il, job.Live[0].Il);
        Assert.NotSame(job, job.Live[0].Pending);
        Assert.Equal(0, il.Cpu.IlAsyncDiscarded); // never even offered: the re-decode dropped it first
        Assert.Equal(1, il.Cpu.IlAsyncInstalled);
    }

    /// <summary>Runs both to the end; the translated one waits for its worker once the block is queued again, so the new
    /// translation is installed at a known point rather than whenever the worker gets to it.</summary>
    private static void RunWaitingForTheWorker(TestMachine il, TestMachine slow, IlTranslatorThread worker)
    {
        il.Cpu.Run(1000);
        slow.Cpu.Run(1000);
        Assert.True(worker.WaitIdle(Patience), "the worker did not finish");
        il.Cpu.Run(1_000_000);
        slow.Cpu.Run(1_000_000);
        Assert.True(slow.S.Halted);
    }

    [Fact]
    public void AMemberRewrittenDuringTheCompileDiscardsTheWholeRegion()
    {
        using var t = new GatedTranslator();
        void Head(TestMachine m) => m.Assemble(TestMachine.CodeBase, a =>
        {
            a.inc(rax);
            a.jmp(FarMember);
        });
        void Member(TestMachine m, int imm) => m.Assemble(FarMember, a =>
        {
            a.add(rbx, imm);
            a.dec(rcx);
            a.jnz(TestMachine.CodeBase);
            a.hlt();
        });
        var (il, slow) = Pair(t.Worker, m =>
        {
            Head(m);
            Member(m, 1);
        }, regions: true);
        il.Cpu.IlThreshold = 2;
        il.S.Gpr[1] = slow.S.Gpr[1] = 100;
        il.Cpu.Run(100_000);
        slow.Cpu.Run(100_000);
        IlTranslationJob job = t.Holding();
        Assert.Equal(2, job.Live.Length); // the head and its member, in one job
        Assert.Same(job, job.Live[1].Pending);
        Assert.Equal(100UL, il.S.Gpr[3]);
        // Only the member's page is written: the head still holds its code, the region does not.
        foreach (var m in new[] { il, slow })
        {
            Member(m, 5);
            m.S.Halted = false;
            m.S.Rip = TestMachine.CodeBase;
            m.S.Gpr[1] = 100;
        }
        t.Open();
        Assert.NotNull(job.Il);
        il.Cpu.Run(100_000);
        slow.Cpu.Run(100_000);
        MachineComparison.AssertSame(slow, il, "member rewritten");
        Assert.Equal(600UL, il.S.Gpr[3]);
        Assert.Equal(1, il.Cpu.IlAsyncDiscarded);
        Assert.NotSame(job.Il, job.Live[0].Il);
    }

    [Fact]
    public void AFullQueueRefusesTheJobAndTheVcpuGoesOn()
    {
        using var t = new GatedTranslator(capacity: 1);
        // Three loops one after another: the first job is held at the gate, the second fills the queue, the third is refused.
        var (il, slow) = Pair(t.Worker, m => m.Assemble(TestMachine.CodeBase, a =>
        {
            foreach (var reg in new[] { rsi, rdi, rbp })
            {
                var top = a.CreateLabel();
                a.mov(rcx, 50);
                a.Label(ref top);
                a.add(reg, rcx);
                a.dec(rcx);
                a.jnz(top);
            }
            a.hlt();
        }));
        // The first job is in the worker's hands before the second comes, so the queue's one place decides the third.
        while (il.Cpu.IlAsyncQueued == 0) il.Cpu.Run(1);
        t.Holding();
        il.Cpu.Run(1_000_000);
        slow.Cpu.Run(1_000_000);
        Assert.True(il.S.Halted, "the vCPU never waited for the queue");
        MachineComparison.AssertSame(slow, il, "queue full");
        Assert.Equal(2, il.Cpu.IlAsyncQueued);
        Assert.True(il.Cpu.IlAsyncRefused >= 1, $"{il.Cpu.IlAsyncRefused} refused");
        Assert.Equal(il.Cpu.IlAsyncRefused, t.Worker.Refused);
        Assert.Equal(0, il.Cpu.IlBlocksTranslated);
        t.Open();
        Assert.Equal(2, t.Worker.Completed);
    }

    [Fact]
    public void DisposeFinishesTheJobInHandDropsTheQueueAndJoinsTheThread()
    {
        var t = new GatedTranslator(capacity: 4);
        var (il, slow) = Pair(t.Worker, m => m.Assemble(TestMachine.CodeBase, a =>
        {
            foreach (var reg in new[] { rsi, rdi })
            {
                var top = a.CreateLabel();
                a.mov(rcx, 40);
                a.Label(ref top);
                a.add(reg, rcx);
                a.dec(rcx);
                a.jnz(top);
            }
            a.hlt();
        }));
        il.Cpu.Run(1_000_000);
        slow.Cpu.Run(1_000_000);
        IlTranslationJob held = t.Holding();
        Assert.Equal(2, il.Cpu.IlAsyncQueued);
        var disposing = new Thread(t.Worker.Dispose);
        disposing.Start();
        // Dispose waits for the job in hand, which waits at the gate.
        Assert.False(disposing.Join(200), "Dispose returned while a job was still being worked on");
        t.Dispose(); // opens the gate, then joins too
        Assert.True(disposing.Join(Patience), "Dispose never returned");
        Assert.False(t.Worker.IsRunning);
        Assert.True(held.Finished && !held.WasDropped);
        IlTranslationJob queued = Enumerable.Range(0, 64)
            .Select(k => il.Cpu.CachedBlock(TestMachine.CodeBase + (ulong)k)?.Pending)
            .OfType<IlTranslationJob>().Single(j => !ReferenceEquals(j, held));
        Assert.True(queued.WasDropped, "the job left in the queue is dropped, not worked on");
        Assert.False(t.Worker.TryQueue(held), "a stopped translator takes no job");

        // The vCPU goes on without a translator: the dropped job's block counts again, and the run is still right.
        foreach (var m in new[] { il, slow })
        {
            m.S.Halted = false;
            m.S.Rip = TestMachine.CodeBase;
        }
        il.Cpu.Run(1_000_000);
        slow.Cpu.Run(1_000_000);
        Assert.True(slow.S.Halted);
        MachineComparison.AssertSame(slow, il, "after dispose");
        Assert.True(il.Cpu.IlAsyncRefused >= 1, "the dropped job's block asked again and was refused");
        Assert.Equal(1, il.Cpu.IlAsyncInstalled); // the finished job was still installed
    }

    [Fact]
    public void TheVcpuThreadCompilesNoTranslation()
    {
        using var worker = new IlTranslatorThread(16);
        static long JitHere() => System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true);
        TestMachine Machine(bool async)
        {
            var m = new TestMachine();
            m.Cpu.IlTier = true;
            m.Cpu.IlAsync = async;
            m.Cpu.Translator = worker;
            m.Cpu.IlThreshold = 3;
            Loop(m);
            m.S.Gpr[1] = 2000;
            return m;
        }
        long Jitted(TestMachine m)
        {
            long before = JitHere();
            m.Cpu.Run(1000);
            Assert.True(worker.WaitIdle(Patience));
            m.Cpu.Run(1_000_000);
            Assert.True(m.S.Halted);
            return JitHere() - before;
        }
        // The first of each kind compiles the emulator's own helpers on this thread (their first call); the second compiles
        // only what is new: in the synchronous mode the translation's method, in the background mode nothing. The CPU's own
        // count covers just the install and the first call (a whole run may also see the runtime's on-stack replacement of
        // an emulator loop in a Release build, on whatever thread runs it).
        Jitted(Machine(async: true));
        Jitted(Machine(async: false));
        var background = Machine(async: true);
        Jitted(background);
        var synchronous = Machine(async: false);
        long jitSynchronous = Jitted(synchronous);
        Assert.Equal(1, background.Cpu.IlAsyncInstalled);
        Assert.True(background.Cpu.IlInstructionsRun > 5000);
        Assert.Equal(0, background.Cpu.IlTranslationJitMethods);
        Assert.True(jitSynchronous >= 1, $"{jitSynchronous} methods compiled here synchronously");
        Assert.True(synchronous.Cpu.IlTranslationJitMethods >= 1);
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public void InstallsWheneverTheWorkerFinishesKeepTheInterpretersState(int seed)
    {
        // No gate: the worker finishes whenever it does, and the state is compared at every budget's end.
        using var worker = new IlTranslatorThread(16);
        var (il, slow) = Pair(worker, m => m.Assemble(TestMachine.CodeBase, a =>
        {
            Iced.Intel.Label top = a.CreateLabel(), rare = a.CreateLabel(), join = a.CreateLabel();
            a.mov(rbx, TestMachine.DataBase);
            a.Label(ref top);
            a.inc(rax);
            a.add(rdx, __qword_ptr[rbx + 16]);
            a.test(al, 7);
            a.jz(rare);
            a.add(rsi, rdx);
            a.mov(__qword_ptr[rbx + 8], rsi);
            a.jmp(join);
            a.Label(ref rare);
            a.sub(rdi, rax);
            a.Label(ref join);
            a.dec(rcx);
            a.jnz(top);
            a.hlt();
        }), regions: true);
        Start(il, slow, 3000);
        var rng = new Random(seed);
        for (int run = 0; run < 5000 && !slow.S.Halted; run++)
        {
            long budget = rng.Next(1, 80);
            il.Cpu.Run(budget);
            slow.Cpu.Run(budget);
            MachineComparison.AssertSame(slow, il, $"run {run} budget {budget}");
            if (run == 100) Assert.True(worker.WaitIdle(Patience)); // at least one install at a known point
        }
        Assert.True(slow.S.Halted);
        Assert.True(il.Cpu.IlAsyncInstalled >= 1, $"{il.Cpu.IlAsyncInstalled} installed");
        Assert.True(il.Cpu.IlInstructionsRun > 1000, $"{il.Cpu.IlInstructionsRun} instructions translated");
    }
}
