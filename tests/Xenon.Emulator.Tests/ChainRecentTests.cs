using Change = Xenon.Emulator.Tests.Support.CodeChange;
using Xenon.Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Xenon.Emulator.Tests;

/// <summary>
/// Chaining through the recent-block array (<c>Cpu.ChainRecent</c>, P11): a RET with more return addresses than the two
/// successor slots hold goes to the block GetBlock found last at that RIP without going back to <c>Run</c>. That block
/// must pass GetBlock's checks: a store into its code, a remapped page flushed by INVLPG or a CR3 reload each make it
/// stale, and the code the guest then finds there runs (checked against the interpreter and against the sum the guest
/// must compute).
/// </summary>
public sealed class ChainRecentTests
{
    private const ulong FaultHandler = 0x50000;
    private const ulong F = TestMachine.CodeBase + 0x1000;  // inc rdx; ret (three return addresses)
    // call F; add rsi, 3; ret (the third return address, on its own page). Placed so that G + 5 and F do not share a slot
    // of the recent-block array (RIP ^ RIP >> 12, 4096 slots), or F's own lookups would evict G + 5 between turns.
    private const ulong G = TestMachine.CodeBase + 0x4800;
    private const ulong AltG = TestMachine.CodeBase + 0x5800; // G's place in the page G's linear page is remapped to
    private const ulong GImmediate = G + 5 + 3;              // add rsi, imm8 = 48 83 C6 ib, after the 5-byte call
    private const int Turns = 400, ChangeAt = 150;           // the change happens in the turn where rcx == ChangeAt

    private static void LoadProgram(TestMachine m, Change change)
    {
        m.Load(FaultHandler, [0xF4, 0xEB, 0xFD]); // hlt; jmp $-1
        for (int v = 0; v < 32; v++) m.SetGate(v, FaultHandler);
        m.Assemble(F, a =>
        {
            a.inc(rdx);
            a.ret();
        });
        foreach ((ulong at, int add) in new[] { (G, 3), (AltG, 7) })
        {
            // Both encoded for G's linear address (the call is relative): AltG's bytes run there once remapped.
            m.Load(at, TestMachine.Encode(G, a =>
            {
                a.call(F);
                a.add(rsi, add);
                a.ret();
            }));
        }
        ulong pteAddress = TestMachine.Pt0 + ((G >> 12) & 0x1FF) * 8;
        ulong remapped = (m.Pte(G) & 0xFFF) | (AltG & ~0xFFFUL);
        m.Assemble(TestMachine.CodeBase, a =>
        {
            var top = a.CreateLabel();
            var skip = a.CreateLabel();
            a.xor(eax, eax);
            a.xor(edx, edx);
            a.xor(esi, esi);
            a.mov(rcx, Turns);
            a.Label(ref top);
            a.call(F);
            a.add(rax, 1);
            a.call(F);
            a.add(rax, 2);
            a.call(G);
            a.cmp(rcx, ChangeAt);
            a.jne(skip);
            CodeChangeEmitter.Emit(a, change, GImmediate, pteAddress, remapped, G);
            a.Label(ref skip);
            a.dec(rcx);
            a.jnz(top);
            a.hlt();
        });
    }

    private static (TestMachine Fast, TestMachine Slow) Run(Change change, bool il, bool recent)
    {
        var fast = new TestMachine();
        var slow = new TestMachine();
        slow.Cpu.FastPath = false;
        fast.Cpu.IlTier = il;
        fast.Cpu.IlThreshold = 3;
        fast.Cpu.ChainRecent = recent;
        LoadProgram(fast, change);
        LoadProgram(slow, change);
        Assert.Equal(3, fast.Memory.Ram[(int)GImmediate]); // the layout the store and the remap rely on
        fast.Cpu.Run(1_000_000);
        slow.Cpu.Run(1_000_000);
        return (fast, slow);
    }

    [Theory]
    [MemberData(nameof(CodeChangeEmitter.EveryChangeOnAndOff), MemberType = typeof(CodeChangeEmitter))]
    public void AThirdReturnAddressChainsThroughTheRecentArrayAndSeesEveryChange(Change change, bool il)
    {
        var (fast, slow) = Run(change, il, recent: true);
        Assert.True(slow.S.Halted);
        MachineComparison.AssertSame(slow, fast, change.ToString());
        // G's addend is 3 up to and including the turn of the change, 7 in the ChangeAt - 1 turns after it.
        ulong expected = CodeChangeEmitter.AddendSum(change, Turns, ChangeAt);
        Assert.Equal(expected, fast.S.Gpr[6]);
        Assert.Equal(3UL * Turns, fast.S.Gpr[2]); // F ran three times a turn
        Assert.True(fast.Cpu.ChainedThroughRecent > Turns, $"{fast.Cpu.ChainedThroughRecent} chained through the recent array");
        Assert.Equal(0, slow.Cpu.ChainedThroughRecent); // the reference interpreter never chains
    }

    [Fact]
    public void TurnedOffEveryThirdTargetGoesBackToRun()
    {
        var (on, _) = Run(Change.None, il: true, recent: true);
        var (off, slow) = Run(Change.None, il: true, recent: false);
        MachineComparison.AssertSame(slow, off, "off");
        Assert.Equal(0, off.Cpu.ChainedThroughRecent);
        Assert.True(off.Cpu.DispatcherLookups > on.Cpu.DispatcherLookups + Turns,
            $"lookups in Run: {off.Cpu.DispatcherLookups} off, {on.Cpu.DispatcherLookups} on");
    }

    [Theory]
    [InlineData(7)]
    [InlineData(8)]
    public void RandomBudgetsStopWhereTheInterpreterStops(int seed)
    {
        // Chaining through the array must still stop exactly at the budget and at the same instruction.
        var rng = new Random(seed);
        var fast = new TestMachine();
        var slow = new TestMachine();
        slow.Cpu.FastPath = false;
        fast.Cpu.IlThreshold = 3;
        LoadProgram(fast, Change.RemapInvlpg);
        LoadProgram(slow, Change.RemapInvlpg);
        for (int run = 0; run < 2000 && !slow.S.Halted; run++)
        {
            long budget = rng.Next(1, 40);
            slow.Cpu.Run(budget);
            fast.Cpu.Run(budget);
            MachineComparison.AssertSame(slow, fast, $"seed {seed} run {run}");
        }
        Assert.True(slow.S.Halted);
        Assert.True(fast.Cpu.ChainedThroughRecent > 0, "nothing chained through the recent array");
    }
}
