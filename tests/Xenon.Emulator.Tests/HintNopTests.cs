using Xenon.Emulator.Execution;
using Xenon.Emulator.Tests.Support;

namespace Xenon.Emulator.Tests;

/// <summary>CET hint instructions run as NOPs (CPUID hides CET): Debian's busybox starts every function with ENDBR64.</summary>
public sealed class HintNopTests
{
    [Theory]
    [InlineData(new byte[] { 0xf3, 0x0f, 0x1e, 0xfa })]       // endbr64
    [InlineData(new byte[] { 0xf3, 0x0f, 0x1e, 0xfb })]       // endbr32
    [InlineData(new byte[] { 0xf3, 0x48, 0x0f, 0x1e, 0xc8 })] // rdsspq rax: register unchanged
    [InlineData(new byte[] { 0x0f, 0x1e, 0x00 })]             // reserved hint NOP with a memory operand (not accessed)
    public void CetHintsAreNops(byte[] code)
    {
        var m = new TestMachine();
        m.Load(TestMachine.CodeBase, [.. code, 0x90]);
        m.S.Rip = TestMachine.CodeBase;
        m.S.Gpr[0] = 0x1234;
        Assert.Equal(RunExit.BudgetExhausted, m.Cpu.Run(2));
        Assert.Equal(TestMachine.CodeBase + (ulong)code.Length + 1, m.S.Rip);
        Assert.Equal(0x1234UL, m.S.Gpr[0]);
        Assert.Equal(Iced.Intel.Code.INVALID, m.Cpu.LastUnimplemented);
    }
}
