using Iced.Intel;
using Xenon.Emulator.Execution;
using Xenon.Emulator.Memory;
using Xenon.Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Xenon.Emulator.Tests;

/// <summary>4-level paging: #PF error codes and CR2, permission checks, A/D bits, TLB flushing rules.</summary>
public sealed class PagingTests
{
    private const ulong Page = 0x150000; // a 4 KiB-mapped page below 2 MiB
    private const ulong PfHandler = TestMachine.HandlerBase + 14 * 16;

    private static TestMachine WithPfHandler()
    {
        var m = new TestMachine();
        for (int v = 0; v < 32; v++)
        {
            m.SetGate(v, TestMachine.HandlerBase + (ulong)v * 16);
            m.Load(TestMachine.HandlerBase + (ulong)v * 16, [0xF4]);
        }
        return m;
    }

    /// <summary>Runs until HLT and returns the #PF error code from the exception frame (or null if no #PF).</summary>
    private static ulong? RunForPageFault(TestMachine m)
    {
        m.Cpu.Run(1000);
        if (m.S.Rip != PfHandler + 1) return null;
        return m.R64(m.S.Gpr[4]);
    }

    [Fact]
    public void NotPresentReadFaultsWithErrorZeroAndCr2()
    {
        var m = WithPfHandler();
        m.SetPte(Page, Page, 0);
        m.Assemble(TestMachine.CodeBase, a => { a.mov(rax, __qword_ptr[Page + 0x18]); a.hlt(); });
        Assert.Equal(0UL, RunForPageFault(m));
        Assert.Equal(Page + 0x18, m.S.Cr2);
        Assert.Equal(TestMachine.CodeBase, m.R64(m.S.Gpr[4] + 8)); // the faulting instruction restarts
    }

    [Fact]
    public void SupervisorWriteToReadOnlyPageFaultsWithWriteProtect()
    {
        var m = WithPfHandler();
        m.SetPte(Page, Page, 0x5); // present, user, read-only
        m.Assemble(TestMachine.CodeBase, a => { a.mov(__qword_ptr[Page], rax); a.hlt(); });
        Assert.Equal((ulong)(PageFaultError.Present | PageFaultError.Write), RunForPageFault(m));
    }

    [Fact]
    public void SupervisorWriteToReadOnlyPageSucceedsWithoutWriteProtect()
    {
        var m = WithPfHandler();
        m.SetPte(Page, Page, 0x5);
        m.S.Cr0 &= ~State.ControlBits.Cr0WP;
        m.Assemble(TestMachine.CodeBase, a => { a.mov(rax, 0x1234); a.mov(__qword_ptr[Page], rax); a.hlt(); });
        Assert.Null(RunForPageFault(m));
        Assert.Equal(0x1234UL, m.R64(Page));
    }

    [Fact]
    public void FetchFromNxPageFaultsWithInstructionFetchBit()
    {
        var m = WithPfHandler();
        m.SetPte(Page, Page, 0x7 | (1UL << 63));
        m.Load(Page, [0xF4]);
        m.Assemble(TestMachine.CodeBase, a => { a.mov(rax, Page); a.jmp(rax); });
        Assert.Equal((ulong)(PageFaultError.Present | PageFaultError.Fetch), RunForPageFault(m));
        Assert.Equal(Page, m.S.Cr2);
    }

    [Fact]
    public void ReservedBitFaultsWithReservedBit()
    {
        var m = WithPfHandler();
        m.SetPte(Page, Page | (1UL << 45), 0x7);
        m.Assemble(TestMachine.CodeBase, a => { a.mov(rax, __qword_ptr[Page]); a.hlt(); });
        Assert.Equal((ulong)(PageFaultError.Present | PageFaultError.Reserved), RunForPageFault(m));
    }

    [Fact]
    public void UserAccessToSupervisorPageFaultsWithUserBit()
    {
        var m = WithPfHandler();
        m.SetPte(Page, Page, 0x3); // supervisor only
        m.Assemble(TestMachine.CodeBase, a => { a.mov(rax, __qword_ptr[Page]); a.hlt(); });
        EnterRing3(m);
        Assert.Equal((ulong)(PageFaultError.Present | PageFaultError.User), RunForPageFault(m));
    }

    [Fact]
    public void AccessedAndDirtyBitsAreSet()
    {
        var m = WithPfHandler();
        m.SetPte(Page, Page, 0x7);
        m.Assemble(TestMachine.CodeBase, a => { a.mov(rax, __qword_ptr[Page]); a.hlt(); });
        m.Cpu.Run(10);
        Assert.Equal(0x20UL, m.Pte(Page) & 0x60);
        m.EnterLongMode();
        m.Assemble(TestMachine.CodeBase, a => { a.mov(__qword_ptr[Page], rax); a.hlt(); });
        m.Cpu.Run(10);
        Assert.Equal(0x60UL, m.Pte(Page) & 0x60);
    }

    [Fact]
    public void TlbKeepsStaleMappingUntilInvlpg()
    {
        var m = WithPfHandler();
        const ulong other = 0x160000;
        m.W64(Page, 0x1111);
        m.W64(other, 0x2222);
        m.Assemble(TestMachine.CodeBase, a =>
        {
            a.mov(rax, __qword_ptr[Page]);                     // fills the TLB
            a.mov(__qword_ptr[TestMachine.Pt0 + (Page >> 12) * 8], rbx); // remap Page → other, no flush
            a.mov(rcx, __qword_ptr[Page]);                     // still the old page
            a.invlpg(__byte_ptr[Page]);
            a.mov(rdx, __qword_ptr[Page]);                     // the new page
            a.hlt();
        });
        m.S.Gpr[3] = other | 7;
        m.Cpu.Run(100);
        Assert.Equal(0x1111UL, m.S.Gpr[1]);
        Assert.Equal(0x2222UL, m.S.Gpr[2]);
    }

    [Fact]
    public void GlobalPagesSurviveCr3Reload()
    {
        var m = WithPfHandler();
        const ulong other = 0x160000;
        m.W64(Page, 0x1111);
        m.W64(other, 0x2222);
        m.SetPte(Page, Page, 0x107); // global
        m.Assemble(TestMachine.CodeBase, a =>
        {
            a.mov(rax, __qword_ptr[Page]);
            a.mov(__qword_ptr[TestMachine.Pt0 + (Page >> 12) * 8], rbx);
            a.mov(rax, cr3);
            a.mov(cr3, rax);
            a.mov(rcx, __qword_ptr[Page]); // global entry survives the CR3 write
            a.mov(rax, cr4);
            a.mov(cr4, rax);
            a.and(rax, ~0x80);
            a.mov(cr4, rax);                // clearing PGE flushes everything
            a.mov(rdx, __qword_ptr[Page]);
            a.hlt();
        });
        m.S.Gpr[3] = other | 7;
        m.Cpu.Run(100);
        Assert.Equal(0x1111UL, m.S.Gpr[1]);
        Assert.Equal(0x2222UL, m.S.Gpr[2]);
    }

    [Fact]
    public void AccessCrossingIntoMissingPageFaultsWithoutPartialWrite()
    {
        var m = WithPfHandler();
        m.SetPte(Page + 0x1000, Page + 0x1000, 0);
        m.W64(Page + 0xFF8, 0);
        m.Assemble(TestMachine.CodeBase, a => { a.mov(rax, -1L); a.mov(__qword_ptr[Page + 0xFFC], rax); a.hlt(); });
        Assert.Equal((ulong)PageFaultError.Write, RunForPageFault(m));
        Assert.Equal(Page + 0x1000, m.S.Cr2);
        Assert.Equal(0UL, m.R64(Page + 0xFF8));
    }

    [Fact]
    public void NonCanonicalAddressRaisesGp()
    {
        var m = WithPfHandler();
        m.Assemble(TestMachine.CodeBase, a => { a.mov(rbx, 0x0000800000000000); a.mov(rax, __qword_ptr[rbx]); a.hlt(); });
        m.Cpu.Run(100);
        Assert.Equal(TestMachine.HandlerBase + 13 * 16 + 1, m.S.Rip);
    }

    /// <summary>Drops to CPL 3 at the current RIP: user code/stack selectors (all test pages are user-accessible).</summary>
    internal static void EnterRing3(TestMachine m)
    {
        m.S.Segments[State.Seg.Cs] = State.SegmentRegister.FromDescriptor(TestMachine.UserCs, 0x00AFFB000000FFFF);
        m.S.Segments[State.Seg.Ss] = State.SegmentRegister.FromDescriptor(TestMachine.UserDs, 0x00CFF3000000FFFF);
        m.S.Gpr[4] = 0x370000;
        m.W64(TestMachine.TssBase + 4, TestMachine.StackTop); // RSP0
    }
}
