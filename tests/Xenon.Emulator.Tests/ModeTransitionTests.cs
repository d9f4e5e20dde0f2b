using Iced.Intel;
using Xenon.Emulator.Execution;
using Xenon.Emulator.State;
using Xenon.Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Xenon.Emulator.Tests;

/// <summary>A tiny boot image walks real mode → 32-bit protected mode → long mode with paging, the way a loader does.</summary>
public sealed class ModeTransitionTests
{
    private const ulong Real = 0x7C00, Gdtr = 0x7E00, Pm32 = 0x8000, Lm64 = 0x9000, IvtHandler = 0x7D00;

    [Fact]
    public void RealToProtectedToLongMode()
    {
        var m = new TestMachine();
        m.Cpu.Reset();
        m.S.Segments[Seg.Cs] = SegmentRegister.RealMode(0, code: true);
        m.S.Rip = Real;
        m.S.Gpr[4] = 0x7000;
        m.W64(Gdtr, 0x4F | (TestMachine.GdtBase << 16));

        m.Assemble(Real, a =>
        {
            a.cli();
            a.xor(ax, ax);
            a.mov(ds, ax);
            a.mov(ss, ax);
            a.mov(bx, 0x1234);
            a.push(bx);           // 16-bit stack works in real mode
            a.pop(si);
            a.lgdt(__[(uint)Gdtr]);
            a.mov(eax, cr0);
            a.or(eax, 1);
            a.mov(cr0, eax);
            a.db(0x66, 0xEA);     // jmp far 0x18:Pm32 (ptr16:32)
            a.dd((uint)Pm32);
            a.dw(TestMachine.Code32);
        }, bitness: 16);

        m.Assemble(Pm32, a =>
        {
            a.mov(ax, TestMachine.KernelDs);
            a.mov(ds, ax);
            a.mov(es, ax);
            a.mov(ss, ax);
            a.mov(esp, 0x7000);
            a.mov(eax, cr4);
            a.or(eax, 0x20);      // PAE
            a.mov(cr4, eax);
            a.mov(eax, (uint)TestMachine.Pml4);
            a.mov(cr3, eax);
            a.mov(ecx, 0xC0000080);
            a.rdmsr();
            a.or(eax, 0x100);     // EFER.LME
            a.wrmsr();
            a.mov(eax, cr0);
            a.or(eax, 0x80000000u);
            a.mov(cr0, eax);      // paging on: long mode active, still 32-bit compatibility code
            a.db(0xEA);           // jmp far 0x08:Lm64
            a.dd((uint)Lm64);
            a.dw(TestMachine.KernelCs);
        }, bitness: 32);

        m.Assemble(Lm64, a =>
        {
            a.mov(rax, 0x123456789ABCDEF0);
            a.mov(__qword_ptr[0x200000], rax);
            a.push(rax);
            a.pop(rdx);
            a.hlt();
        });

        Assert.Equal(RunExit.Halted, m.Cpu.Run(1000));
        Assert.False(m.Cpu.IsShutdown);
        Assert.Equal(0x123456789ABCDEF0UL, m.R64(0x200000));
        Assert.Equal(0x123456789ABCDEF0UL, m.S.Gpr[2]);
        Assert.Equal(0x1234UL, m.S.Gpr[6] & 0xFFFF);
        Assert.True(m.S.LongModeActive);
        Assert.True(m.S.Is64BitCode);
        Assert.Equal(0, m.S.Cpl);
    }

    [Fact]
    public void RealModeSoftwareInterruptUsesIvtAndIretReturns()
    {
        var m = new TestMachine();
        m.Cpu.Reset();
        m.S.Segments[Seg.Cs] = SegmentRegister.RealMode(0, code: true);
        m.S.Rip = Real;
        m.S.Gpr[4] = 0x7000;
        m.W32(0x10 * 4, (uint)IvtHandler); // IVT[0x10] = 0000:7D00
        m.Assemble(IvtHandler, a => { a.mov(ax, 0x55AA); a.iret(); }, bitness: 16);
        m.Assemble(Real, a => { a.db(0xCD, 0x10); a.mov(bx, ax); a.hlt(); }, bitness: 16);
        Assert.Equal(RunExit.Halted, m.Cpu.Run(100));
        Assert.Equal(0x55AAUL, m.S.Gpr[3] & 0xFFFF);
        Assert.Equal(0x7000UL, m.S.Gpr[4] & 0xFFFF);
    }

    [Fact]
    public void ResetStateFetchesFromTheResetVector()
    {
        var rom = new byte[16];
        rom[0] = 0xF4; // hlt at FFFFFFF0
        var memory = new Memory.FlatPhysicalMemory(1 << 20)
        {
            MmioRead = (gpa, size) => gpa >= 0xFFFFFFF0 ? rom[gpa - 0xFFFFFFF0] : 0xFFUL,
        };
        var cpu = new Cpu(memory);
        Assert.Equal(RunExit.Halted, cpu.Run(10));
        Assert.Equal(0xFFF1UL, cpu.State.Rip);
    }
}
