using Change = Xenon.Emulator.Tests.Support.CodeChange;
using Xenon.Emulator.Execution;
using Xenon.Emulator.Memory;
using Xenon.Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Xenon.Emulator.Tests;

/// <summary>
/// The link epoch (<c>Cpu.LinkEpochs</c>, P13): a step between blocks (chaining, a region's member step, a loop turn)
/// skips the target's page-generation and TLB checks while the epoch stands still. Every change those checks stand for
/// must move it: a guest store into a chained member's code, a DMA write into it, a remap flushed by INVLPG or a CR3
/// reload; and the checks that are not the target's (an interrupt raised, the budget) must still end the link. Each case
/// runs against the reference interpreter and against the sum the guest must compute.
/// </summary>
public sealed class LinkEpochTests
{
    private const ulong FaultHandler = 0x50000;
    private const ulong Top = TestMachine.CodeBase + 0x40;    // inc rax; jmp M (the loop's head)
    private const ulong Back = TestMachine.CodeBase + 0x100;  // the change in one turn, then the count and the jump to Top
    private const ulong M = TestMachine.CodeBase + 0x2000;    // add rsi, 3; jmp Back (a member on its own page)
    private const ulong AltM = TestMachine.CodeBase + 0x3000; // the same with add rsi, 7, where M's page is remapped to
    private const ulong MImmediate = M + 3;                  // add rsi, imm8 = 48 83 C6 ib
    private const int Turns = 400, ChangeAt = 150;           // the change happens in the turn where rcx == ChangeAt

    private static void LoadProgram(TestMachine m, Change change)
    {
        m.Load(FaultHandler, [0xF4, 0xEB, 0xFD]); // hlt; jmp $-1
        for (int v = 0; v < 32; v++) m.SetGate(v, FaultHandler);
        foreach ((ulong at, int add) in new[] { (M, 3), (AltM, 7) })
        {
            // Both encoded for M's linear address (the jump is relative): AltM's bytes run there once remapped.
            m.Load(at, TestMachine.Encode(M, a =>
            {
                a.add(rsi, add);
                a.jmp(Back);
            }));
        }
        ulong pteAddress = TestMachine.Pt0 + ((M >> 12) & 0x1FF) * 8;
        ulong remapped = (m.Pte(M) & 0xFFF) | (AltM & ~0xFFFUL);
        m.Assemble(TestMachine.CodeBase, a =>
        {
            // Write M's byte and the PTE once with what they hold, so the change's own store finds its TLB entry filled
            // (a fill moves the epoch too) and only the change itself can tell the links that M is stale.
            a.mov(rbx, MImmediate);
            a.mov(r10b, __byte_ptr[rbx]);
            a.mov(__byte_ptr[rbx], r10b);
            a.mov(rbx, pteAddress);
            a.mov(r10, __qword_ptr[rbx]);
            a.mov(__qword_ptr[rbx], r10);
            a.xor(eax, eax);
            a.xor(esi, esi);
            a.mov(rcx, Turns);
            a.jmp(Top);
        });
        m.Assemble(Top, a =>
        {
            a.inc(rax);
            a.jmp(M);
        });
        m.Assemble(Back, a =>
        {
            var skip = a.CreateLabel();
            a.cmp(rcx, ChangeAt);
            a.jne(skip);
            CodeChangeEmitter.Emit(a, change, MImmediate, pteAddress, remapped, M);
            a.Label(ref skip);
            a.dec(rcx);
            a.jnz(Top);
            a.hlt();
        });
    }

    private static TestMachine Fast(bool epochs)
    {
        var m = new TestMachine();
        m.Cpu.IlThreshold = 3;
        m.Cpu.IlRegionMinRuns = 1; // every warm successor joins: member steps to skip checks on
        m.Cpu.LinkEpochs = epochs;
        return m;
    }

    private static TestMachine Slow()
    {
        var m = new TestMachine();
        m.Cpu.FastPath = false;
        return m;
    }

    private static ulong Expected(Change change) => CodeChangeEmitter.AddendSum(change, Turns, ChangeAt);

    [Theory]
    [MemberData(nameof(CodeChangeEmitter.EveryChangeOnAndOff), MemberType = typeof(CodeChangeEmitter))]
    public void EveryChangeToALinkedBlockIsSeen(Change change, bool epochs)
    {
        var fast = Fast(epochs);
        var slow = Slow();
        LoadProgram(fast, change);
        LoadProgram(slow, change);
        Assert.Equal(3, fast.Memory.Ram[(int)MImmediate]); // the layout the store relies on
        fast.Cpu.Run(1_000_000);
        slow.Cpu.Run(1_000_000);
        Assert.True(slow.S.Halted);
        MachineComparison.AssertSame(slow, fast, $"{change}, epochs {epochs}");
        Assert.Equal(Expected(change), fast.S.Gpr[6]);
        Assert.Equal((ulong)Turns, fast.S.Gpr[0]);
        if (epochs)
        {
            // Most steps took the one-word check; the changes forced full ones.
            Assert.True(fast.Cpu.LinkChecksSkipped > Turns, $"{fast.Cpu.LinkChecksSkipped} skipped, {fast.Cpu.LinkChecksFull} full");
            Assert.True(fast.Cpu.LinkChecksFull > 0);
        }
        else Assert.Equal(0, fast.Cpu.LinkChecksSkipped);
        Assert.True(fast.Cpu.IlRegionSteps + fast.Cpu.IlBlocksChained > Turns, "the blocks ran linked");
    }

    [Fact]
    public void ADmaWriteIntoALinkedBlockIsSeen()
    {
        // Nothing on this CPU changes: only the tracker's generation (and with it its version) moves.
        var m = Fast(epochs: true);
        LoadProgram(m, Change.None);
        m.Cpu.Run(200 * 8); // about half the turns (8 instructions a turn)
        ulong before = m.S.Gpr[6];
        ulong turnsLeft = m.S.Gpr[1];
        Assert.True(turnsLeft is > 100 and < Turns, $"rcx {turnsLeft}");
        long skipped = m.Cpu.LinkChecksSkipped;
        Assert.True(skipped > 100, $"{skipped} skipped before the write");
        m.Load(MImmediate, [9]); // TestMachine.Load notifies the code-page tracker, as a DMA writer must
        m.Cpu.Run(1_000_000);
        Assert.True(m.S.Halted);
        // The turn in flight (rcx is counted down at its end) may have passed M already; every later one adds 9.
        ulong after = m.S.Gpr[6] - before;
        Assert.True(after == 9 * turnsLeft || after == 9 * (turnsLeft - 1), $"added {after} in {turnsLeft} turns");
        Assert.True(m.Cpu.LinkChecksSkipped > skipped + 100, "linked again with the new code");
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    public void RandomBudgetsStopWhereTheInterpreterStops(int seed)
    {
        var rng = new Random(seed);
        var fast = Fast(epochs: true);
        var slow = Slow();
        LoadProgram(fast, Change.RemapInvlpg);
        LoadProgram(slow, Change.RemapInvlpg);
        for (int run = 0; run < 3000 && !slow.S.Halted; run++)
        {
            long budget = rng.Next(1, 40);
            slow.Cpu.Run(budget);
            fast.Cpu.Run(budget);
            MachineComparison.AssertSame(slow, fast, $"seed {seed} run {run}");
        }
        Assert.True(slow.S.Halted);
        Assert.Equal(Expected(Change.RemapInvlpg), fast.S.Gpr[6]);
        Assert.True(fast.Cpu.LinkChecksSkipped > 0, "no check skipped");
    }

    [Theory]
    [InlineData(21)]
    [InlineData(22)]
    public void InterruptsEndALinkWhereTheInterpreterTakesThem(int seed)
    {
        var fast = InterruptedLoop.RunAgainstInterpreter(seed, cpu =>
        {
            cpu.IlThreshold = 3;
            cpu.IlRegionMinRuns = 1;
            cpu.LinkEpochs = true;
        });
        Assert.True(fast.Cpu.LinkChecksSkipped > 100, $"{fast.Cpu.LinkChecksSkipped} skipped");
    }

    [Fact]
    public void TheTlbVersionMovesWithEveryChangeToAnEntry()
    {
        var tlb = new Tlb();
        long v = tlb.Version;
        tlb.Insert(0x7000, 0x9000, 4, global: false, large: false);
        Assert.True(tlb.Version > v, "fill");
        v = tlb.Version;
        tlb.FlushPage(0x7000);
        Assert.True(tlb.Version > v, "INVLPG");
        tlb.Insert(0x7000, 0x9000, 4, global: true, large: false);
        v = tlb.Version;
        tlb.FlushAll(keepGlobal: true);
        Assert.True(tlb.Version > v, "flush, globals kept");
        v = tlb.Version;
        tlb.FlushAll(keepGlobal: false);
        Assert.True(tlb.Version > v, "flush");
    }

    [Fact]
    public void TheCodeVersionMovesOnlyWithAGeneration()
    {
        var code = new CodePageTracker();
        long v = code.Version;
        code.NotifyWrite(0x5000, 64); // no code there: no generation moves
        Assert.Equal(v, code.Version);
        code.MarkCode(5);
        Assert.Equal(v, code.Version);
        int generation = code.Generation(5);
        code.NotifyWrite(0x5010, 1);
        Assert.NotEqual(generation, code.Generation(5));
        Assert.Equal(v + 1, code.Version);
    }
}
