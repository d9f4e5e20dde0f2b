using Iced.Intel;
using Xenon.Emulator.Execution;
using Xenon.Emulator.State;
using Xenon.Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Xenon.Emulator.Tests;

/// <summary>32-bit protected mode: IDT delivery with a TSS stack switch, IRETD to an outer ring, segment checks.</summary>
public sealed class ProtectedModeTests
{
    private const uint Handler = 0x50000, Gp = 0x50100;

    [Fact]
    public void Int80FromRing3SwitchesToEsp0AndIretdReturns()
    {
        var m = new TestMachine();
        m.EnterProtectedMode32();
        m.W32(TestMachine.Tss32Base + 4, 0x36_0000);            // ESP0
        m.W32(TestMachine.Tss32Base + 8, TestMachine.KernelDs); // SS0
        m.SetGate32(0x80, Handler, dpl: 3);
        m.Assemble(Handler, a => { a.mov(ebx, esp); a.mov(eax, 77); a.iretd(); }, bitness: 32);
        m.Assemble(TestMachine.CodeBase, a => { a.db(0xCD, 0x80); a.mov(ecx, eax); a.db(0xEB, 0xFE); }, bitness: 32);
        m.S.Segments[Seg.Cs] = SegmentRegister.FromDescriptor(TestMachine.UserCs32, 0x00CFFB000000FFFF);
        m.S.Segments[Seg.Ss] = SegmentRegister.FromDescriptor(TestMachine.UserDs, 0x00CFF3000000FFFF);
        m.S.Segments[Seg.Ds] = SegmentRegister.FromDescriptor(TestMachine.UserDs, 0x00CFF3000000FFFF);
        m.S.Gpr[4] = 0x37_0000;
        m.Cpu.Run(20);
        Assert.Equal(0x36_0000UL - 20, m.S.Gpr[3]);              // SS, ESP, EFLAGS, CS, EIP on the ring-0 stack
        Assert.Equal(77UL, m.S.Gpr[1]);
        Assert.Equal(3, m.S.Cpl);
        Assert.Equal(0x37_0000UL, m.S.Gpr[4]);
        Assert.Equal((ushort)TestMachine.UserDs, m.S.Segments[Seg.Ss].Selector);
        Assert.Equal((ushort)TestMachine.UserDs, m.S.Segments[Seg.Ds].Selector); // DPL-3 data stays usable
    }

    [Fact]
    public void LoadingAKernelDataSegmentInRing3IsGp()
    {
        var m = new TestMachine();
        m.EnterProtectedMode32();
        m.SetGate32(13, Gp);
        m.Load(Gp, [0xF4]);
        m.W32(TestMachine.Tss32Base + 4, 0x36_0000);
        m.W32(TestMachine.Tss32Base + 8, TestMachine.KernelDs);
        m.Assemble(TestMachine.CodeBase, a => { a.mov(ax, TestMachine.KernelDs); a.mov(ds, ax); a.hlt(); }, bitness: 32);
        m.S.Segments[Seg.Cs] = SegmentRegister.FromDescriptor(TestMachine.UserCs32, 0x00CFFB000000FFFF);
        m.S.Segments[Seg.Ss] = SegmentRegister.FromDescriptor(TestMachine.UserDs, 0x00CFF3000000FFFF);
        m.Cpu.Run(20);
        Assert.Equal((ulong)Gp + 1, m.S.Rip);
        Assert.Equal((ulong)TestMachine.KernelDs, m.R32(0x36_0000 - 24)); // error code = selector
    }

    [Fact]
    public void NotPresentSegmentIsNp()
    {
        var m = new TestMachine();
        m.EnterProtectedMode32();
        m.SetGate32(11, Gp);
        m.Load(Gp, [0xF4]);
        m.W64(TestMachine.GdtBase + 0x48, 0x000012000000FFFF); // data 16 with P = 0
        m.Assemble(TestMachine.CodeBase, a => { a.mov(ax, 0x48); a.mov(es, ax); a.hlt(); }, bitness: 32);
        m.Cpu.Run(20);
        Assert.Equal((ulong)Gp + 1, m.S.Rip);
        Assert.Equal(0x48UL, m.R32(m.S.Gpr[4]));
    }

    [Fact]
    public void PaePagingIn32BitMode()
    {
        var m = new TestMachine();
        m.EnterProtectedMode32();
        // PDPT at 0x20000: entry 0 → the long-mode PD, which maps the low 16 MiB.
        m.W64(0x20000, TestMachine.Pd | 1);
        m.S.Cr3 = 0x20000;
        m.S.Cr4 |= ControlBits.Cr4PAE;
        m.S.Cr0 |= ControlBits.Cr0PG;
        m.Cpu.StateChanged();
        m.SetPte(0x150000, 0x160000, 7); // 0x150000 → 0x160000
        m.W32(0x160000, 0xCAFE);
        m.Assemble(TestMachine.CodeBase, a => { a.mov(eax, __dword_ptr[0x150000]); a.hlt(); }, bitness: 32);
        m.Cpu.Run(20);
        Assert.Equal(0xCAFEUL, m.S.Gpr[0]);
    }
}

/// <summary>Classic 32-bit paging (two levels of 4-byte entries, PSE 4 MiB pages).</summary>
public sealed class Paging32Tests
{
    [Fact]
    public void FourKibAndFourMibPagesTranslate()
    {
        var m = new TestMachine();
        m.EnterProtectedMode32();
        const uint pd = 0x20000, pt = 0x21000;
        m.W32(pd, pt | 7);                 // 0–4 MiB through a page table
        for (uint p = 0; p < 1024; p++) m.W32(pt + p * 4, (p << 12) | 7);
        m.W32(pt + (0x150000 >> 12) * 4, 0x160000 | 7);
        m.W32(pd + 4 * 1, 0x00800000 | 0x87); // 4–8 MiB → 8–12 MiB as one 4 MiB page
        m.W32(0x160000, 0x1234);
        m.W32(0x00900010, 0x5678);
        m.S.Cr3 = pd;
        m.S.Cr4 |= ControlBits.Cr4PSE;
        m.S.Cr0 |= ControlBits.Cr0PG;
        m.Cpu.StateChanged();
        m.Assemble(TestMachine.CodeBase, a =>
        {
            a.mov(eax, __dword_ptr[0x150000]);
            a.mov(ebx, __dword_ptr[0x500010]);
            a.hlt();
        }, bitness: 32);
        m.Cpu.Run(20);
        Assert.Equal(0x1234UL, m.S.Gpr[0]);
        Assert.Equal(0x5678UL, m.S.Gpr[3]);
        Assert.Equal(0x20u, m.R32(pt + (0x150000 >> 12) * 4) & 0x20); // accessed
    }
}
