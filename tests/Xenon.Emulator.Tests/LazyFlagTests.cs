using Iced.Intel;
using Xenon.Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Xenon.Emulator.Tests;

public sealed class LazyFlagTests
{
    [Fact]
    public void ConditionsAfterSbbWithBorrowUseTheBorrowedResult()
    {
        var m = new TestMachine();
        m.Assemble(TestMachine.CodeBase, a =>
        {
            a.mov(eax, 5);
            a.mov(ebx, 5);
            a.stc();
            a.sbb(eax, ebx);   // 5 - 5 - 1 = -1: CF = 1, ZF = 0, SF = 1
            a.setz(cl);
            a.setb(dl);
            a.setl(r8b);
            a.seta(r9b);
            a.hlt();
        });
        m.Cpu.Run(100);
        Assert.Equal(0UL, m.S.Gpr[1] & 0xFF);
        Assert.Equal(1UL, m.S.Gpr[2] & 0xFF);
        Assert.Equal(1UL, m.S.Gpr[8] & 0xFF);
        Assert.Equal(0UL, m.S.Gpr[9] & 0xFF);
    }

    [Fact]
    public void ConditionsAfterSixteenBitCompareIgnoreUpperBits()
    {
        var m = new TestMachine();
        m.Assemble(TestMachine.CodeBase, a =>
        {
            a.mov(eax, 0x18000);
            a.mov(ebx, 0x27FFF);
            a.cmp(ax, bx);     // 0x8000 vs 0x7FFF: above, but signed less
            a.seta(cl);
            a.setl(dl);
            a.hlt();
        });
        m.Cpu.Run(100);
        Assert.Equal(1UL, m.S.Gpr[1] & 0xFF);
        Assert.Equal(1UL, m.S.Gpr[2] & 0xFF);
    }
}
