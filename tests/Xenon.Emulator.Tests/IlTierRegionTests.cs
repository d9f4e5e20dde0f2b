using Iced.Intel;
using Xenon.Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Xenon.Emulator.Tests;

/// <summary>
/// Regions: a hot block translated with its warm successors into one method, stepping from member to member inside it
/// (<c>Cpu.IlRegionStep</c>). Against the interpreter: the same state at the end, at random budgets and with interrupts;
/// cold successors stay out; a store or DMA write into a member (also on another page than the head) is seen at once
/// and the head is translated again; a fault in a member comes at its instruction.
/// </summary>
public sealed class IlTierRegionTests
{
    private const ulong FaultHandler = 0x50000;
    private const ulong Member = TestMachine.CodeBase + 0x800;        // on the head's page
    private const ulong FarMember = TestMachine.CodeBase + 0x3000;    // on another page

    private static (TestMachine Il, TestMachine Slow) Pair(Action<TestMachine> load, bool regions = true)
    {
        var il = new TestMachine();
        var slow = new TestMachine();
        slow.Cpu.FastPath = false;
        il.Cpu.IlTier = true;
        il.Cpu.IlThreshold = 3;
        il.Cpu.IlRegions = regions;
        il.Cpu.IlRegionMinRuns = 1; // every successor seen joins: the most steps, and stale members to catch
        foreach (var m in new[] { il, slow })
        {
            m.Load(FaultHandler, [0xF4, 0xEB, 0xFD]); // hlt; jmp $-1
            for (int v = 0; v < 32; v++) m.SetGate(v, FaultHandler);
            load(m);
        }
        return (il, slow);
    }

    // Four blocks: A (the loop head, a load, a Jcc to the rare path), B (the common path, a store, JMP to J),
    // R (the rare path, running on into J's instructions), J (the counter and the Jcc back to A).
    private static void BranchyLoop(TestMachine m) => m.Assemble(TestMachine.CodeBase, a =>
    {
        Label top = a.CreateLabel(), rare = a.CreateLabel(), join = a.CreateLabel();
        a.mov(rbx, TestMachine.DataBase);
        a.Label(ref top);
        a.inc(rax);
        a.add(rdx, __qword_ptr[rbx + 16]);
        a.test(al, 7);
        a.jz(rare);
        a.add(rsi, rdx);
        a.xor(rsi, rax);
        a.mov(__qword_ptr[rbx + 8], rsi);
        a.jmp(join);
        a.Label(ref rare);
        a.sub(rdi, rax);
        a.adc(rdi, 0);
        a.Label(ref join);
        a.dec(rcx);
        a.jnz(top);
        a.hlt();
    });

    private static void SetCounter(TestMachine a, TestMachine b, ulong count)
    {
        a.S.Gpr[1] = b.S.Gpr[1] = count;
        a.W64(TestMachine.DataBase + 16, 0x0123_4567_89AB_CDEF);
        b.W64(TestMachine.DataBase + 16, 0x0123_4567_89AB_CDEF);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ABranchyLoopRunsInOneMethodAndComputesTheSame(bool regions)
    {
        var (il, slow) = Pair(BranchyLoop, regions);
        SetCounter(il, slow, 5000);
        il.Cpu.Run(1_000_000);
        slow.Cpu.Run(1_000_000);
        Assert.True(slow.S.Halted);
        MachineComparison.AssertSame(slow, il, "branchy loop");
        Assert.Equal(slow.R64(TestMachine.DataBase + 8), il.R64(TestMachine.DataBase + 8));
        if (regions)
        {
            Assert.True(il.Cpu.IlRegionsTranslated > 0, "no region translated");
            // Two or three member-to-member steps a turn once the head's region is in.
            Assert.True(il.Cpu.IlRegionSteps > 8000, $"{il.Cpu.IlRegionSteps} steps inside the region");
        }
        else
        {
            Assert.Equal(0, il.Cpu.IlRegionsTranslated);
            Assert.Equal(0, il.Cpu.IlRegionSteps);
        }
    }

    [Theory]
    [InlineData(51)]
    [InlineData(52)]
    [InlineData(53)]
    public void RandomBudgetsStopWhereTheInterpreterStops(int seed)
    {
        // A member is entered only if all of it fits the budget, as the dispatcher runs a translated block.
        var rng = new Random(seed);
        var (il, slow) = Pair(BranchyLoop);
        SetCounter(il, slow, 3000);
        for (int run = 0; run < 4000 && !slow.S.Halted; run++)
        {
            long budget = rng.Next(1, 40);
            il.Cpu.Run(budget);
            slow.Cpu.Run(budget);
            MachineComparison.AssertSame(slow, il, $"run {run} budget {budget}");
        }
        Assert.True(slow.S.Halted);
        Assert.True(il.Cpu.IlRegionSteps > 1000, $"{il.Cpu.IlRegionSteps} steps");
    }

    [Fact]
    public void AColdSuccessorStaysOutOfTheRegion()
    {
        // At the head's 2 000th run the common path (B, J) has ~1 750 runs and joins; the rare one (R, 1 turn in 8) has
        // ~250, under IlRegionMinRuns, and stays out.
        var (il, slow) = Pair(BranchyLoop);
        il.Cpu.IlThreshold = 2000;
        il.Cpu.IlEarlyThreshold = 0;
        il.Cpu.IlRegionMinRuns = 1000;
        SetCounter(il, slow, 5000);
        while (il.Cpu.IlBlocksTranslated == 0 && !il.S.Halted) il.Cpu.Run(50);
        Assert.Equal(1, il.Cpu.IlBlocksTranslated);
        Assert.Equal(1, il.Cpu.IlRegionsTranslated);
        Assert.Equal(2, il.Cpu.IlRegionMembers);
        il.Cpu.Run(1_000_000);
        slow.Cpu.Run(1_000_000);
        MachineComparison.AssertSame(slow, il, "after the run");
    }

    // The head stores DL into the member's ADD immediate every 16th turn (into data otherwise), then jumps to it.
    private static Action<TestMachine> SelfModifying(ulong member) => m =>
    {
        m.Assemble(TestMachine.CodeBase, a =>
        {
            a.inc(rdx);
            a.mov(r8, TestMachine.DataBase);
            a.mov(r9, member + 3); // 48 83 C0 ib: the immediate is byte 3
            a.test(dl, 15);
            a.cmovz(r8, r9);
            a.mov(__byte_ptr[r8], dl);
            a.jmp(member);
        });
        m.Assemble(member, a =>
        {
            a.add(rax, 0x11);
            a.dec(rcx);
            a.jnz(TestMachine.CodeBase);
            a.hlt();
        });
    };

    [Theory]
    [InlineData(Member)]
    [InlineData(FarMember)]
    public void AGuestStoreIntoAMemberIsSeenAtOnce(ulong member)
    {
        var (il, slow) = Pair(SelfModifying(member));
        il.S.Gpr[1] = slow.S.Gpr[1] = 400;
        il.Cpu.Run(1_000_000);
        slow.Cpu.Run(1_000_000);
        Assert.True(slow.S.Halted);
        MachineComparison.AssertSame(slow, il, "self-modifying member");
        Assert.True(il.Cpu.IlRegionSteps > 100, $"{il.Cpu.IlRegionSteps} steps");
        // Each rewrite leaves the head's region with a stale member: the head is dropped and translated again.
        Assert.True(il.Cpu.IlRegionsTranslated > 5, $"{il.Cpu.IlRegionsTranslated} regions translated");
    }

    [Fact]
    public void ADmaWriteIntoAMemberOnAnotherPageIsSeen()
    {
        var m = new TestMachine();
        m.Cpu.IlTier = true;
        m.Cpu.IlThreshold = 2;
        m.Cpu.IlRegionMinRuns = 1; // the member, run once when the head gets hot, joins the head's region
        m.Assemble(TestMachine.CodeBase, a =>
        {
            a.inc(rax);
            a.jmp(FarMember);
        });
        // Only the member's page is written again (TestMachine.Load notifies the code-page tracker, as a DMA writer must).
        void Program(int imm) => m.Assemble(FarMember, a =>
        {
            a.add(rbx, imm);
            a.dec(rcx);
            a.jnz(TestMachine.CodeBase);
            a.hlt();
        });
        Program(1);
        m.S.Gpr[1] = 100;
        m.Cpu.Run(100_000);
        Assert.Equal(100UL, m.S.Gpr[3]);
        long steps = m.Cpu.IlRegionSteps, regions = m.Cpu.IlRegionsTranslated;
        Assert.True(steps > 50 && regions > 0, $"{steps} steps, {regions} regions");
        Program(5);
        m.S.Halted = false;
        m.S.Rip = TestMachine.CodeBase;
        m.S.Gpr[1] = 100;
        m.Cpu.Run(100_000);
        Assert.Equal(600UL, m.S.Gpr[3]);
        Assert.True(m.Cpu.IlRegionsTranslated > regions, "the head is translated again with the new member");
        Assert.True(m.Cpu.IlRegionSteps > steps + 50, $"{m.Cpu.IlRegionSteps - steps} steps after the write");
    }

    [Fact]
    public void AFaultInAMemberIsDeliveredAtItsInstruction()
    {
        // The member's load walks 256 bytes a turn past the 16 MiB of mapped memory: #PF in the member, after steps.
        var (il, slow) = Pair(m =>
        {
            m.Assemble(TestMachine.CodeBase, a =>
            {
                a.inc(rax);
                a.jmp(FarMember);
            });
            m.Assemble(FarMember, a =>
            {
                a.add(rdx, __qword_ptr[rbx]);
                a.add(rbx, 0x100);
                a.jmp(TestMachine.CodeBase);
            });
        });
        il.S.Gpr[3] = slow.S.Gpr[3] = TestMachine.DataBase;
        il.Cpu.Run(2_000_000);
        slow.Cpu.Run(2_000_000);
        Assert.True(slow.S.Halted);
        MachineComparison.AssertSame(slow, il, "fault in a member");
        Assert.Equal(slow.S.Cr2, il.S.Cr2);
        Assert.True(il.Cpu.IlRegionSteps > 1000, $"{il.Cpu.IlRegionSteps} steps");
    }

    [Fact]
    public void InterruptsAreTakenAtTheMemberTheInterpreterTakesThemAt()
    {
        var (il, slow) = Pair(BranchyLoop);
        SetCounter(il, slow, 1UL << 40);
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
        var rng = new Random(11);
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
        Assert.True(il.Cpu.IlRegionSteps > 1000, $"{il.Cpu.IlRegionSteps} steps");
    }
}
