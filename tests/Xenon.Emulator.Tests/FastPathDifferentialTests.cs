using Xenon.Emulator.Execution;
using Xenon.Emulator.Tests.Support;

namespace Xenon.Emulator.Tests;

/// <summary>
/// The fast path (pre-decoded 64-bit instructions) against the interpreter, its reference: the same random programs
/// (<see cref="RandomProgram"/>) run on two machines, one with <see cref="Cpu.FastPath"/> off, and registers, RIP,
/// RFLAGS, halt/shutdown state and the data and stack pages must agree after every instruction, and after whole runs
/// of multi-instruction blocks.
/// </summary>
public sealed class FastPathDifferentialTests
{
    private const ulong FaultHandler = 0x50000;

    private static (TestMachine Fast, TestMachine Slow) Pair(byte[] code, Random rng)
    {
        var fast = new TestMachine();
        var slow = new TestMachine();
        slow.Cpu.FastPath = false;
        Assert.True(fast.Cpu.FastPath);
        var data = new byte[0x1000];
        rng.NextBytes(data);
        var regs = new ulong[16];
        for (int k = 0; k < 16; k++) regs[k] = RandomProgram.Interesting(rng);
        regs[3] = RandomProgram.Data;                 // RBX: the data page
        regs[4] = TestMachine.StackTop - 0x800;       // RSP
        regs[6] = (ulong)rng.Next(0, 0x40);           // RSI, RDI: small indexes
        regs[7] = (ulong)rng.Next(0, 0x40);
        ulong flags = (ulong)rng.Next(0, 0x1000) & ReferenceInstructionTests.OSZAPC;
        foreach (var m in new[] { fast, slow })
        {
            m.Load(RandomProgram.Data, data);
            m.Load(TestMachine.CodeBase, code);
            // Every exception vector halts at a known place, so a fault is compared like any other outcome.
            m.Load(FaultHandler, [0xF4, 0xEB, 0xFD]); // hlt; jmp $-1
            for (int v = 0; v < 32; v++) m.SetGate(v, FaultHandler);
            for (int k = 0; k < 16; k++) m.S.Gpr[k] = regs[k];
            m.Cpu.SetRflags(State.RFlags.Fixed1 | flags);
        }
        return (fast, slow);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void EveryInstructionMatchesTheInterpreter(int seed) =>
        RunBothAndCompare(seed, programs: 60, instructions: 40, runs: 200, perRun: 1, "step");

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(14)]
    public void WholeBlocksMatchTheInterpreter(int seed) =>
        RunBothAndCompare(seed, programs: 80, instructions: 60, runs: 5, perRun: 100, "run");

    /// <summary>Random programs on both machines, compared after every <paramref name="perRun"/> instructions.</summary>
    private static void RunBothAndCompare(int seed, int programs, int instructions, int runs, int perRun, string unit)
    {
        var rng = new Random(seed);
        for (int program = 0; program < programs; program++)
        {
            byte[] code = RandomProgram.Build(rng, TestMachine.CodeBase, instructions);
            var (fast, slow) = Pair(code, rng);
            for (int run = 0; run < runs && !slow.S.Halted && !slow.Cpu.IsShutdown; run++)
            {
                fast.Cpu.Run(perRun);
                slow.Cpu.Run(perRun);
                MachineComparison.AssertSame(slow, fast, $"seed {seed} program {program} {unit} {run}");
            }
        }
    }

    [Fact]
    public void TheFastPathCoversTheGeneratedForms()
    {
        // Guards the comparison above from passing vacuously: most generated instructions must be pre-decoded.
        var rng = new Random(99);
        int total = 0, fast = 0;
        for (int program = 0; program < 20; program++)
        {
            byte[] code = RandomProgram.Build(rng, TestMachine.CodeBase, 40);
            var decoder = Iced.Intel.Decoder.Create(64, new Iced.Intel.ByteArrayCodeReader(code));
            decoder.IP = TestMachine.CodeBase;
            while (decoder.IP < TestMachine.CodeBase + (ulong)code.Length)
            {
                decoder.Decode(out var ins);
                Cpu.BuildFastOp(in ins, out FastOp f);
                total++;
                if (f.Kind != FastKind.None) fast++;
            }
        }
        Assert.True(fast * 2 > total, $"{fast} of {total} pre-decoded");
    }

    [Fact]
    public void TheGeneratorProducesEveryFastKind()
    {
        // Each kind the fast path knows must come out of the generator, or the differential tests never compare it.
        var rng = new Random(7);
        var seen = new bool[Enum.GetValues<FastKind>().Length];
        for (int program = 0; program < 200; program++)
        {
            byte[] code = RandomProgram.Build(rng, TestMachine.CodeBase, 40);
            var decoder = Iced.Intel.Decoder.Create(64, new Iced.Intel.ByteArrayCodeReader(code));
            decoder.IP = TestMachine.CodeBase;
            while (decoder.IP < TestMachine.CodeBase + (ulong)code.Length)
            {
                decoder.Decode(out var ins);
                Cpu.BuildFastOp(in ins, out FastOp f);
                seen[(int)f.Kind] = true;
            }
        }
        foreach (FastKind k in Enum.GetValues<FastKind>())
            Assert.True(seen[(int)k], $"{k} never generated");
    }
}
