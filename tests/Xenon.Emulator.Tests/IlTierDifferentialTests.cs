using Xenon.Emulator.Execution;
using Xenon.Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Xenon.Emulator.Tests;

/// <summary>
/// The IL tier (hot blocks translated to host methods, <see cref="BlockTranslator"/>) against the interpreter: the
/// random programs of <see cref="RandomProgram"/> on three machines (interpreter, fast path, IL tier), compared after
/// every block: registers, RIP, RFLAGS, CR2, halt state, retired count, the data and stack pages. A fault is compared
/// like any other outcome (every vector halts in a known handler), so it must come at the same RIP with the same state.
/// </summary>
public sealed class IlTierDifferentialTests
{
    private const ulong FaultHandler = 0x50000;

    private static TestMachine[] Machines(byte[] code, Random rng, int threshold, ulong loops, bool otherIlOptions = false)
    {
        var slow = new TestMachine();
        var fast = new TestMachine();
        var il = new TestMachine();
        slow.Cpu.FastPath = false;
        fast.Cpu.IlTier = false;
        il.Cpu.IlTier = true;
        il.Cpu.IlThreshold = threshold;
        if (otherIlOptions)
        {
            // The translation options that are not the default (for measurements) must be exact too.
            il.Cpu.IlRegistersInLocals = !Cpu.IlRegistersInLocalsDefault;
            il.Cpu.IlInlineHostAccess = !Cpu.IlInlineHostAccessDefault;
        }
        var data = new byte[0x1000];
        rng.NextBytes(data);
        var regs = new ulong[16];
        for (int k = 0; k < 16; k++) regs[k] = RandomProgram.Interesting(rng);
        regs[3] = RandomProgram.Data;
        regs[4] = TestMachine.StackTop - 0x800;
        regs[6] = (ulong)rng.Next(0, 0x40);
        regs[7] = (ulong)rng.Next(0, 0x40);
        ulong flags = (ulong)rng.Next(0, 0x1000) & ReferenceInstructionTests.OSZAPC;
        TestMachine[] all = [slow, fast, il];
        foreach (var m in all)
        {
            m.Load(RandomProgram.Data, data);
            m.Load(TestMachine.CodeBase, code);
            m.W64(RandomProgram.LoopCounter, loops);
            m.Load(FaultHandler, [0xF4, 0xEB, 0xFD]); // hlt; jmp $-1
            for (int v = 0; v < 32; v++) m.SetGate(v, FaultHandler);
            for (int k = 0; k < 16; k++) m.S.Gpr[k] = regs[k];
            m.Cpu.SetRflags(State.RFlags.Fixed1 | flags);
        }
        return all;
    }

    /// <summary>Each machine runs one block at a time; all three are compared at every block exit.</summary>
    private static long CompareBlockByBlock(TestMachine[] m, string where, int maxBlocks)
    {
        foreach (var x in m) x.Cpu.SingleBlock = true;
        for (int b = 0; b < maxBlocks && !m[0].S.Halted && !m[0].Cpu.IsShutdown; b++)
        {
            foreach (var x in m) x.Cpu.Run(100_000);
            MachineComparison.AssertSame(m[0], m[1], $"{where} block {b} (fast path)");
            MachineComparison.AssertSame(m[0], m[2], $"{where} block {b} (IL)");
        }
        return m[2].Cpu.IlBlocksRun;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public void EveryBlockMatchesTheInterpreter(int seed)
    {
        // Threshold 1: every block is translated on its first execution (the random programs branch only forwards).
        var rng = new Random(seed);
        long ran = 0;
        for (int program = 0; program < 40; program++)
        {
            byte[] code = RandomProgram.Build(rng, TestMachine.CodeBase, 50);
            ran += CompareBlockByBlock(Machines(code, rng, threshold: 1, loops: 0), $"seed {seed} program {program}", 400);
        }
        Assert.True(ran > 100, $"only {ran} translated block runs");
    }

    [Theory]
    [InlineData(7)]
    [InlineData(8)]
    public void EveryBlockMatchesTheInterpreterWithTheOtherTranslationOptions(int seed)
    {
        var rng = new Random(seed);
        long ran = 0;
        for (int program = 0; program < 40; program++)
        {
            byte[] code = RandomProgram.Build(rng, TestMachine.CodeBase, 50);
            ran += CompareBlockByBlock(Machines(code, rng, threshold: 1, loops: 0, otherIlOptions: true), $"seed {seed} program {program}", 400);
        }
        Assert.True(ran > 100, $"only {ran} translated block runs");
    }

    [Fact]
    public void TheGeneratedProgramsHaveDeadFlagWrites()
    {
        // Guards the comparisons above: the translator must really leave out flag writes in the generated blocks.
        var rng = new Random(5);
        int dead = 0, blocks = 0;
        for (int program = 0; program < 40; program++)
        {
            byte[] code = RandomProgram.Build(rng, TestMachine.CodeBase, 50);
            var decoder = Iced.Intel.Decoder.Create(64, new Iced.Intel.ByteArrayCodeReader(code));
            decoder.IP = TestMachine.CodeBase;
            var ops = new List<FastOp>();
            while (decoder.IP < TestMachine.CodeBase + (ulong)code.Length)
            {
                decoder.Decode(out var ins);
                Cpu.BuildFastOp(in ins, out FastOp f);
                bool end = f.Kind is FastKind.None or FastKind.Jcc or FastKind.Jmp or FastKind.Call or FastKind.Ret;
                if (f.Kind != FastKind.None) ops.Add(f);
                if (!end) continue;
                foreach (bool d in BlockTranslator.DeadFlagWrites([.. ops], ops.Count)) if (d) dead++;
                blocks++;
                ops.Clear();
            }
        }
        Assert.True(dead > 50, $"{dead} dead flag writes in {blocks} blocks");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ShiftsAndRotatesWithDeadFlagsComputeTheSame(bool registersInLocals)
    {
        // Every constant shift and rotate of every size followed by a flag writer (its own flags dead), then a reader
        // of the last flags, on boundary values: the translation leaves the first flags out, the result must not change.
        ulong[] values = [0, 1, 0x7F, 0x80, 0xFF, 0x8000, 0xFFFF, 0x80000000, 0xFFFFFFFF, 0x8000000000000000, ulong.MaxValue,
            0x1234_5678_9ABC_DEF0];
        int[] counts = [0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63];
        var shifts = new Action<Iced.Intel.Assembler, int>[]
        {
            (a, c) => a.shl(rax, (byte)c), (a, c) => a.shr(eax, (byte)c), (a, c) => a.sar(ax, (byte)c), (a, c) => a.rol(al, (byte)c),
            (a, c) => a.ror(rax, (byte)c), (a, c) => a.rol(eax, (byte)c), (a, c) => a.sar(rax, (byte)c), (a, c) => a.shl(ah, (byte)c),
            (a, c) => a.ror(ax, (byte)c), (a, c) => a.shr(al, (byte)c), (a, c) => a.sar(al, (byte)c), (a, c) => a.rol(ax, (byte)c),
        };
        var il = new TestMachine();
        var slow = new TestMachine();
        il.Cpu.IlThreshold = 1;
        il.Cpu.IlTier = true;
        il.Cpu.IlRegistersInLocals = registersInLocals;
        slow.Cpu.FastPath = false;
        int n = 0;
        foreach (var shift in shifts)
        foreach (int c in counts)
        {
            int variant = n++;
            void Program(Iced.Intel.Assembler a)
            {
                shift(a, c);
                a.inc(rcx);        // reads CF (INC keeps it): the shift's flags are live here in odd variants
                if (variant % 2 == 0) a.add(rdx, rax);
                shift(a, c + 1);   // dead: the ADD/SUB after it overwrites every flag
                a.sub(rdx, rcx);
                a.setb(bl);
                a.hlt();
            }
            il.Assemble(TestMachine.CodeBase + (ulong)variant * 0x40, Program);
            slow.Assemble(TestMachine.CodeBase + (ulong)variant * 0x40, Program);
            // And alone, so that every flag it leaves (the lazy shift record) is compared.
            variant = n++;
            void Alone(Iced.Intel.Assembler a)
            {
                shift(a, c);
                a.hlt();
            }
            il.Assemble(TestMachine.CodeBase + (ulong)variant * 0x40, Alone);
            slow.Assemble(TestMachine.CodeBase + (ulong)variant * 0x40, Alone);
        }
        for (int variant = 0; variant < n; variant++)
        foreach (ulong v in values)
        {
            foreach (var m in new[] { il, slow })
            {
                m.S.Gpr[0] = v;
                m.S.Gpr[1] = v ^ 0x5555;
                m.S.Gpr[2] = ~v;
                m.S.Gpr[3] = 0;
                m.S.Rip = TestMachine.CodeBase + (ulong)variant * 0x40;
                m.S.Halted = false;
                m.Cpu.SetRflags(State.RFlags.Fixed1 | State.RFlags.CF);
                m.Cpu.Run(20);
            }
            MachineComparison.AssertSame(slow, il, $"variant {variant} value {v:x}");
        }
        Assert.True(il.Cpu.IlBlocksRun > 100, $"{il.Cpu.IlBlocksRun} translated block runs");
    }

    [Fact]
    public void ImulTranslatedInlineComputesTheSame()
    {
        // IMUL of each size and form, once with its flags read (SETO, SETS: the helper) and once overwritten (a plain multiply).
        ulong[] values = [0, 1, 2, 0x7F, 0x80, 0xFFFF, 0x8000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x1_0000_0000,
            0x7FFFFFFFFFFFFFFF, 0x8000000000000000, ulong.MaxValue, 0x1234_5678_9ABC_DEF0];
        var forms = new Action<Iced.Intel.Assembler>[]
        {
            a => a.imul(rax, rcx), a => a.imul(eax, ecx), a => a.imul(ax, cx), a => a.imul(rax, rcx, -3),
            a => a.imul(eax, ecx, 0x12345), a => a.imul(ax, cx, 300), a => a.imul(rax, __qword_ptr[rbx]),
            a => a.imul(eax, __dword_ptr[rbx + 8], 7),
        };
        var il = new TestMachine();
        var slow = new TestMachine();
        il.Cpu.IlThreshold = 1;
        il.Cpu.IlTier = true;
        slow.Cpu.FastPath = false;
        int n = 0;
        foreach (var form in forms)
        foreach (bool live in new[] { false, true })
        {
            ulong at = TestMachine.CodeBase + (ulong)n++ * 0x40;
            void Program(Iced.Intel.Assembler a)
            {
                form(a);
                if (live) { a.seto(dl); a.sets(dh); } else a.add(rsi, rax);
                form(a);
                a.hlt();
            }
            il.Assemble(at, Program);
            slow.Assemble(at, Program);
        }
        for (int p = 0; p < n; p++)
        foreach (ulong x in values)
        foreach (ulong y in values)
        {
            foreach (var m in new[] { il, slow })
            {
                m.S.Gpr[0] = x;
                m.S.Gpr[1] = y;
                m.S.Gpr[2] = 0;
                m.S.Gpr[3] = RandomProgram.Data;
                m.W64(RandomProgram.Data, y);
                m.W64(RandomProgram.Data + 8, x);
                m.S.Rip = TestMachine.CodeBase + (ulong)p * 0x40;
                m.S.Halted = false;
                m.Cpu.Run(20);
            }
            MachineComparison.AssertSame(slow, il, $"program {p} x {x:x} y {y:x}");
        }
        Assert.True(il.Cpu.IlBlocksRun > 100, $"{il.Cpu.IlBlocksRun} translated block runs");
    }

    [Theory]
    [InlineData(21)]
    [InlineData(22)]
    [InlineData(23)]
    [InlineData(24)]
    public void HotLoopsMatchTheInterpreter(int seed)
    {
        // Blocks run interpreted until hot (50 runs), then translated, compared at every block exit.
        var rng = new Random(seed);
        long ran = 0;
        for (int program = 0; program < 12; program++)
        {
            byte[] code = RandomProgram.BuildLoop(rng, TestMachine.CodeBase, 30);
            ran += CompareBlockByBlock(Machines(code, rng, threshold: 50, loops: 80), $"seed {seed} program {program}", 20_000);
        }
        Assert.True(ran > 100, $"only {ran} translated block runs");
    }

    [Theory]
    [InlineData(31)]
    [InlineData(32)]
    public void RandomBudgetsMatchTheInterpreter(int seed)
    {
        // Whole runs of random length: a translated block runs only if it fits the budget, so the stops must agree.
        var rng = new Random(seed);
        for (int program = 0; program < 10; program++)
        {
            byte[] code = RandomProgram.BuildLoop(rng, TestMachine.CodeBase, 30);
            TestMachine[] m = Machines(code, rng, threshold: 2, loops: 40);
            for (int run = 0; run < 300 && !m[0].S.Halted; run++)
            {
                long budget = rng.Next(1, 90);
                foreach (var x in m) x.Cpu.Run(budget);
                MachineComparison.AssertSame(m[0], m[1], $"seed {seed} program {program} run {run} (fast path)");
                MachineComparison.AssertSame(m[0], m[2], $"seed {seed} program {program} run {run} (IL)");
            }
        }
    }

    [Theory]
    [InlineData(new byte[] { 0x48, 0x39, 0xC8 })] // cmp rax, rcx
    [InlineData(new byte[] { 0x39, 0xC8 })]       // cmp eax, ecx
    [InlineData(new byte[] { 0x66, 0x39, 0xC8 })] // cmp ax, cx
    [InlineData(new byte[] { 0x38, 0xC8 })]       // cmp al, cl
    [InlineData(new byte[] { 0x48, 0x29, 0xC8 })] // sub rax, rcx
    [InlineData(new byte[] { 0x48, 0x85, 0xC8 })] // test rax, rcx
    [InlineData(new byte[] { 0x20, 0xC8 })]       // and al, cl
    [InlineData(new byte[] { 0x48, 0x19, 0xC8 })] // sbb rax, rcx (never fused: its result is not dst - src after a borrow)
    public void AJccRightAfterAFlagSetterTakesTheInterpretersBranch(byte[] setter)
    {
        // Every condition after the setter, on boundary values, translated at once (the fused compare) and interpreted.
        ulong[] values = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
            0x7FFFFFFFFFFFFFFF, 0x8000000000000000, ulong.MaxValue, 0x1234_5678_9ABC_DEF0];
        var il = new TestMachine();
        var slow = new TestMachine();
        il.Cpu.IlThreshold = 1;
        il.Cpu.IlTier = true;
        slow.Cpu.FastPath = false;
        var code = new byte[16 * 0x20];
        for (int cc = 0; cc < 16; cc++)
        {
            // setter; jcc +6; mov edx, 1; hlt; mov edx, 2; hlt
            byte[] block = [.. setter, (byte)(0x70 + cc), 6, 0xBA, 1, 0, 0, 0, 0xF4, 0xBA, 2, 0, 0, 0, 0xF4];
            block.CopyTo(code, cc * 0x20);
        }
        il.Load(TestMachine.CodeBase, code);
        slow.Load(TestMachine.CodeBase, code);
        foreach (ulong a in values)
        foreach (ulong c in values)
        foreach (bool carryIn in new[] { false, true })
        for (int cc = 0; cc < 16; cc++)
        {
            foreach (var m in new[] { il, slow })
            {
                m.S.Gpr[0] = a;
                m.S.Gpr[1] = c;
                m.S.Gpr[2] = 0;
                m.S.Rip = TestMachine.CodeBase + (ulong)(cc * 0x20);
                m.S.Halted = false;
                m.Cpu.SetRflags(State.RFlags.Fixed1 | (carryIn ? State.RFlags.CF : 0));
                m.Cpu.Run(10);
            }
            Assert.True(slow.S.Gpr[2] == il.S.Gpr[2], $"cc {cc} a {a:x} c {c:x}: IL took {il.S.Gpr[2]}, interpreter {slow.S.Gpr[2]}");
            Assert.Equal(slow.S.Gpr[0], il.S.Gpr[0]);
            Assert.Equal(slow.Cpu.GetRflags(), il.Cpu.GetRflags());
        }
        Assert.True(il.Cpu.IlBlocksRun > 1000);
    }

    [Fact]
    public void AHotLoopIsTranslatedAndComputesTheSame()
    {
        // A loop over the covered forms (loads, stores, push/pop, shifts, flags through ADC, SETcc, CMOVcc, a call).
        static void Program(Iced.Intel.Assembler a)
        {
            var top = a.CreateLabel();
            var fn = a.CreateLabel();
            var done = a.CreateLabel();
            a.mov(rcx, 1000);
            a.mov(rbx, RandomProgram.Data);
            a.xor(eax, eax);
            a.Label(ref top);
            a.add(rax, rcx);
            a.adc(rdx, 0);
            a.mov(__qword_ptr[rbx + rcx * 8 - 8], rax);
            a.mov(r8, __qword_ptr[rbx + 16]);
            a.lea(r9, __[r8 + rax * 2 + 3]);
            a.shl(r9, 3);
            a.shr(r9d, cl);
            a.movzx(r10d, r9b);
            a.movsx(r11, r9w);
            a.cmp(r10, r11);
            a.setl(r12b);
            a.cmovg(r13, r9);
            a.push(r13);
            a.pop(r14);
            a.inc(r15d);
            a.call(fn);
            a.dec(rcx);
            a.jnz(top);
            a.jmp(done);
            a.Label(ref fn);
            a.xor(r14, rdx);
            a.ret();
            a.Label(ref done);
            a.hlt();
        }
        var il = new TestMachine();
        var slow = new TestMachine();
        slow.Cpu.FastPath = false;
        il.Cpu.IlTier = true;
        il.Cpu.IlThreshold = 50;
        il.Assemble(TestMachine.CodeBase, Program);
        slow.Assemble(TestMachine.CodeBase, Program);
        il.Cpu.Run(1_000_000);
        slow.Cpu.Run(1_000_000);
        Assert.True(slow.S.Halted);
        MachineComparison.AssertSame(slow, il, "loop");
        Assert.True(il.Cpu.IlBlocksTranslated >= 2, $"{il.Cpu.IlBlocksTranslated} blocks translated");
        Assert.True(il.Cpu.IlBlocksRun > 1500, $"{il.Cpu.IlBlocksRun} translated block runs");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ChainedBlocksTakeInterruptsAtTheInterpretersBoundaries(bool regions)
    {
        // Translated blocks chain into each other without going back to Run (or, in a region, step from one member to
        // the next inside one method); a raised attention word must still stop the chain at the next block boundary,
        // where the interpreter polling its source every block takes it.
        var il = InterruptedLoop.RunAgainstInterpreter(8, cpu =>
        {
            cpu.FastPath = true;
            cpu.IlTier = true;
            cpu.IlThreshold = 2;
            cpu.IlRegions = regions;
            cpu.IlRegionMinRuns = 1; // successors join at their first run (each block is hot at its second)
        });
        Assert.True(il.Cpu.IlBlocksRun > 1000, $"{il.Cpu.IlBlocksRun} translated block runs");
        if (regions) Assert.True(il.Cpu.IlRegionSteps > 1000, $"{il.Cpu.IlRegionSteps} steps inside regions");
        else Assert.True(il.Cpu.IlBlocksChained > 1000, $"{il.Cpu.IlBlocksChained} chained blocks");
    }

    [Fact]
    public void AStoreIntoATranslatedBlockDropsTheTranslation()
    {
        // The loop body's immediate is rewritten by the guest after the block got hot; the new value must be used.
        var m = new TestMachine();
        m.Cpu.IlTier = true;
        m.Cpu.IlThreshold = 5;
        const ulong patcher = 0x120000;
        byte[] body = TestMachine.Encode(TestMachine.CodeBase, a => a.mov(eax, 1));
        m.Assemble(TestMachine.CodeBase, a =>
        {
            var top = a.CreateLabel();
            a.Label(ref top);
            a.mov(eax, 1);      // patched to 2
            a.add(rbx, rax);
            a.dec(rcx);
            a.jnz(top);
            a.hlt();
        });
        m.S.Gpr[1] = 20;
        m.Cpu.Run(10_000);
        Assert.Equal(20UL, m.S.Gpr[3]);
        Assert.True(m.Cpu.IlBlocksRun > 0);
        m.Assemble(patcher, a =>
        {
            a.mov(__dword_ptr[TestMachine.CodeBase + (ulong)body.Length - 4], 2);
            a.mov(ecx, 20);
            a.mov(rdx, TestMachine.CodeBase);
            a.jmp(rdx);
        });
        m.S.Halted = false;
        m.S.Rip = patcher;
        m.Cpu.Run(10_000);
        Assert.Equal(60UL, m.S.Gpr[3]);
    }

    [Fact]
    public void ADmaWriteDropsTheTranslation()
    {
        var m = new TestMachine();
        m.Cpu.IlTier = true;
        m.Cpu.IlThreshold = 2;
        void Program(long imm) => m.Assemble(TestMachine.CodeBase, a =>
        {
            var top = a.CreateLabel();
            a.Label(ref top);
            a.add(rbx, (int)imm);
            a.dec(rcx);
            a.jnz(top);
            a.hlt();
        });
        Program(1);
        m.S.Gpr[1] = 10;
        m.Cpu.Run(10_000);
        Assert.Equal(10UL, m.S.Gpr[3]);
        long translated = m.Cpu.IlBlocksTranslated;
        Assert.True(translated > 0);
        Program(5); // TestMachine.Load notifies the code-page tracker, as a DMA writer must
        m.S.Halted = false;
        m.S.Rip = TestMachine.CodeBase;
        m.S.Gpr[1] = 10;
        m.Cpu.Run(10_000);
        Assert.Equal(60UL, m.S.Gpr[3]);
        Assert.True(m.Cpu.IlBlocksTranslated > translated, "the re-decoded block is translated again");
    }

    [Fact]
    public void AFaultInsideATranslatedBlockIsDeliveredAtItsInstruction()
    {
        // The third load of the block reads outside RAM (unmapped): #PF at that instruction, with the first two
        // instructions' results committed and nothing of the third.
        var m = new TestMachine();
        m.Cpu.IlTier = true;
        m.Cpu.IlThreshold = 1;
        m.Load(FaultHandler, [0xF4, 0xEB, 0xFD]);
        for (int v = 0; v < 32; v++) m.SetGate(v, FaultHandler);
        byte[] prefix = TestMachine.Encode(TestMachine.CodeBase, a => { a.mov(eax, 7); a.add(rax, rax); });
        m.Assemble(TestMachine.CodeBase, a =>
        {
            a.mov(eax, 7);
            a.add(rax, rax);
            a.mov(rdx, __qword_ptr[rbx]);
            a.mov(ecx, 1);
            a.hlt();
        });
        m.S.Gpr[3] = 0x40000000;
        m.Cpu.Run(100);
        Assert.Equal(14UL, m.S.Gpr[0]);
        Assert.Equal(0UL, m.S.Gpr[1]);
        Assert.Equal(0x40000000UL, m.S.Cr2);
        Assert.Equal(TestMachine.CodeBase + (ulong)prefix.Length, m.R64(m.S.Gpr[4] + 8)); // the pushed RIP (after the error code)
        Assert.True(m.Cpu.IlBlocksRun > 0);
    }
}
