namespace Xenon.Emulator.Tests.Support;

/// <summary>
/// The state two <see cref="TestMachine"/>s running the same random program (<see cref="RandomProgram"/>) must agree on,
/// one of them the interpreter (the reference): what the differential tests of the fast path and the IL tier compare.
/// </summary>
internal static class MachineComparison
{
    /// <summary>
    /// GPRs, RIP, RFLAGS, CR2, halt and shutdown state, instructions retired, the data page, the two stack pages below
    /// <see cref="TestMachine.StackTop"/> (RSP starts 0x800 below it; calls and pushes go further) and the loop counter.
    /// </summary>
    public static void AssertSame(TestMachine reference, TestMachine other, string where)
    {
        for (int k = 0; k < 16; k++)
            Assert.True(other.S.Gpr[k] == reference.S.Gpr[k], $"{where}: GPR {k} {other.S.Gpr[k]:x} interpreter {reference.S.Gpr[k]:x}");
        Assert.True(other.S.Rip == reference.S.Rip, $"{where}: RIP {other.S.Rip:x} interpreter {reference.S.Rip:x}");
        Assert.True(other.Cpu.GetRflags() == reference.Cpu.GetRflags(),
            $"{where}: RFLAGS {other.Cpu.GetRflags():x} interpreter {reference.Cpu.GetRflags():x}");
        Assert.True(reference.S.Cr2 == other.S.Cr2, $"{where}: CR2 {other.S.Cr2:x} interpreter {reference.S.Cr2:x}");
        Assert.True(reference.S.Halted == other.S.Halted, $"{where}: halted {other.S.Halted} interpreter {reference.S.Halted}");
        Assert.True(reference.Cpu.IsShutdown == other.Cpu.IsShutdown,
            $"{where}: shutdown {other.Cpu.IsShutdown} interpreter {reference.Cpu.IsShutdown}");
        Assert.True(reference.Cpu.InstructionsRetired == other.Cpu.InstructionsRetired,
            $"{where}: retired {other.Cpu.InstructionsRetired} interpreter {reference.Cpu.InstructionsRetired}");
        Assert.True(other.Memory.Ram.Slice((int)RandomProgram.Data, 0x1000).SequenceEqual(reference.Memory.Ram.Slice((int)RandomProgram.Data, 0x1000)),
            $"{where}: data page differs");
        int stack = (int)TestMachine.StackTop - 0x2000;
        Assert.True(other.Memory.Ram.Slice(stack, 0x2000).SequenceEqual(reference.Memory.Ram.Slice(stack, 0x2000)), $"{where}: stack differs");
        Assert.True(reference.R64(RandomProgram.LoopCounter) == other.R64(RandomProgram.LoopCounter),
            $"{where}: loop counter {other.R64(RandomProgram.LoopCounter)} interpreter {reference.R64(RandomProgram.LoopCounter)}");
    }
}
