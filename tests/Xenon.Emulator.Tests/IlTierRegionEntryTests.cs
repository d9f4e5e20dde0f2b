using Iced.Intel;
using Xenon.Emulator.Execution;
using Xenon.Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Xenon.Emulator.Tests;

/// <summary>
/// A region member whose first instruction is a Jcc (a block of one Jcc after a <c>cmp; je</c>, as compilers emit for
/// three-way compares) must branch on the flags in the state: the operands a CMP left in the method's locals belong to
/// whatever member ran last, or to nothing when the dispatcher entered the member directly. The fused branch took them
/// for its own (the cause of the guest's fortify panic in acpi_pnp_match under the early rule, Issue 6 / P15). Then
/// random loop programs with every IL feature on at once against the interpreter at random budgets.
/// </summary>
public sealed class IlTierRegionEntryTests
{
    private const ulong FaultHandler = 0x50000;

    // A: cmp rax, rbx; je out — B: jle wrong (a lone Jcc) — C: the counter. rax > rbx, so neither branch is taken.
    private static void ThreeWayLoop(TestMachine m) => m.Assemble(TestMachine.CodeBase, a =>
    {
        Label top = a.CreateLabel(), done = a.CreateLabel(), wrong = a.CreateLabel();
        a.Label(ref top);
        a.cmp(rax, rbx);
        a.je(done);
        a.jle(wrong);
        a.inc(rsi);
        a.dec(rcx);
        a.jnz(top);
        a.Label(ref done);
        a.hlt();
        a.Label(ref wrong);
        a.mov(r8, 1);
        a.hlt();
    });

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ALoneJccMemberEnteredByTheDispatcherBranchesOnTheStatesFlags(int seed)
    {
        var rng = new Random(seed);
        var il = new TestMachine();
        var slow = new TestMachine();
        slow.Cpu.FastPath = false;
        il.Cpu.IlTier = true;
        il.Cpu.IlThreshold = 3;
        il.Cpu.IlRegions = true;
        il.Cpu.IlRegionMinRuns = 1;
        foreach (var m in new[] { il, slow })
        {
            m.Load(FaultHandler, [0xF4, 0xEB, 0xFD]);
            for (int v = 0; v < 32; v++) m.SetGate(v, FaultHandler);
            ThreeWayLoop(m);
            m.S.Gpr[0] = 5;
            m.S.Gpr[3] = 3;
            m.S.Gpr[1] = 2000;
        }
        // Small budgets stop the run between A and B, so B's next run starts at the dispatcher (its region's entry 1).
        for (int run = 0; run < 100_000 && !slow.S.Halted; run++)
        {
            long budget = rng.Next(1, 6);
            il.Cpu.Run(budget);
            slow.Cpu.Run(budget);
            MachineComparison.AssertSame(slow, il, $"run {run} budget {budget}");
        }
        Assert.True(slow.S.Halted);
        Assert.Equal(0UL, il.S.Gpr[8]);
        Assert.Equal(2000UL, il.S.Gpr[6]);
        Assert.True(il.Cpu.IlRegionsTranslated > 0, "no region translated");
        Assert.True(il.Cpu.IlRegionSteps > 100, $"{il.Cpu.IlRegionSteps} steps inside the region");
    }

    private static TestMachine[] Machines(byte[] code, Random rng, ulong loops)
    {
        var slow = new TestMachine();
        var il = new TestMachine();
        slow.Cpu.FastPath = false;
        il.Cpu.IlTier = true;
        il.Cpu.IlThreshold = rng.Next(2, 40);
        il.Cpu.IlEarlyThreshold = rng.Next(0, 3) == 0 ? 0 : rng.Next(1, 20);
        il.Cpu.IlEarlyWindow = rng.Next(10, 100_000);
        il.Cpu.IlRegions = rng.Next(4) != 0;
        il.Cpu.IlRegionMinRuns = rng.Next(1, 30);
        var data = new byte[0x1000];
        rng.NextBytes(data);
        var regs = new ulong[16];
        for (int k = 0; k < 16; k++) regs[k] = RandomProgram.Interesting(rng);
        regs[3] = RandomProgram.Data;
        regs[4] = TestMachine.StackTop - 0x800;
        regs[6] = (ulong)rng.Next(0, 0x40);
        regs[7] = (ulong)rng.Next(0, 0x40);
        ulong flags = (ulong)rng.Next(0, 0x1000) & ReferenceInstructionTests.OSZAPC;
        TestMachine[] all = [slow, il];
        foreach (var m in all)
        {
            m.Load(RandomProgram.Data, data);
            m.Load(TestMachine.CodeBase, code);
            m.W64(RandomProgram.LoopCounter, loops);
            m.Load(FaultHandler, [0xF4, 0xEB, 0xFD]);
            for (int v = 0; v < 32; v++) m.SetGate(v, FaultHandler);
            for (int k = 0; k < 16; k++) m.S.Gpr[k] = regs[k];
            m.Cpu.SetRflags(State.RFlags.Fixed1 | flags);
        }
        return all;
    }

    [Theory]
    [InlineData(101)]
    [InlineData(102)]
    [InlineData(103)]
    [InlineData(104)]
    public void RandomLoopsWithEveryFeatureOnMatchTheInterpreter(int seed)
    {
        // Low thresholds, early translation, regions whose members joined after few runs, loop-back and chaining, at
        // random budgets (small ones stop between members, so members are also entered from the dispatcher).
        // Seed 101's program 68 found the lone-Jcc member above.
        var rng = new Random(seed);
        long steps = 0;
        for (int program = 0; program < 70; program++)
        {
            byte[] code = RandomProgram.BuildLoop(rng, TestMachine.CodeBase, rng.Next(5, 40));
            TestMachine[] m = Machines(code, rng, loops: (ulong)rng.Next(50, 400));
            for (int run = 0; run < 3000 && !m[0].S.Halted; run++)
            {
                long budget = rng.Next(0, 4) == 0 ? rng.Next(1, 10) : rng.Next(10, 400);
                foreach (var x in m) x.Cpu.Run(budget);
                MachineComparison.AssertSame(m[0], m[1], $"seed {seed} program {program} run {run} budget {budget}");
            }
            steps += m[1].Cpu.IlRegionSteps;
        }
        Assert.True(steps > 1000, $"{steps} steps inside regions");
    }
}
