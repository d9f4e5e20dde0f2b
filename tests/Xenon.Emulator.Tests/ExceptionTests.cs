using Iced.Intel;
using Xenon.Emulator.Execution;
using Xenon.Emulator.Memory;
using Xenon.Emulator.State;
using Xenon.Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Xenon.Emulator.Tests;

/// <summary>Exception and interrupt delivery in long mode: frames, error codes, privilege change, IST, IRETQ,
/// double and triple faults, external interrupts with the STI shadow, HLT.</summary>
public sealed class ExceptionTests
{
    private static ulong Handler(int v) => TestMachine.HandlerBase + (ulong)v * 16;

    private static TestMachine WithHaltingHandlers()
    {
        var m = new TestMachine();
        for (int v = 0; v < 256; v++)
        {
            m.SetGate(v, Handler(v));
            m.Load(Handler(v), [0xF4]);
        }
        return m;
    }

    [Fact]
    public void DivideErrorPushesFrameWithoutErrorCode()
    {
        var m = WithHaltingHandlers();
        m.Assemble(TestMachine.CodeBase, a => { a.xor(ecx, ecx); a.div(rcx); a.hlt(); });
        m.Cpu.SetRflags(RFlags.Fixed1 | RFlags.IF);
        m.Cpu.Run(100);
        Assert.Equal(Handler(0) + 1, m.S.Rip);
        ulong sp = m.S.Gpr[4];
        Assert.Equal(TestMachine.StackTop - 40, sp);
        Assert.Equal(TestMachine.CodeBase + 2, m.R64(sp));         // RIP of the DIV
        Assert.Equal((ulong)TestMachine.KernelCs, m.R64(sp + 8));
        Assert.NotEqual(0UL, m.R64(sp + 16) & RFlags.IF);           // saved RFLAGS
        Assert.Equal(TestMachine.StackTop, m.R64(sp + 24));
        Assert.Equal(0UL, m.Cpu.GetRflags() & RFlags.IF);           // interrupt gate clears IF
    }

    [Fact]
    public void GeneralProtectionPushesErrorCode()
    {
        var m = WithHaltingHandlers();
        m.Assemble(TestMachine.CodeBase, a => { a.mov(ax, 0x7F8); a.mov(ds, ax); a.hlt(); }); // beyond the GDT limit
        m.Cpu.Run(100);
        Assert.Equal(Handler(13) + 1, m.S.Rip);
        Assert.Equal(0x7F8UL, m.R64(m.S.Gpr[4]));
    }

    [Fact]
    public void SoftwareInterruptFromRing3SwitchesToRsp0AndIretqReturns()
    {
        var m = WithHaltingHandlers();
        m.SetGate(0x80, Handler(0x80), dpl: 3);
        m.Assemble(Handler(0x80), a => { a.mov(rbx, rsp); a.mov(rax, 42); a.iretq(); });
        m.Assemble(TestMachine.CodeBase, a => { a.db(0xCD, 0x80); a.mov(rcx, rax); a.db(0xEB, 0xFE); }); // int 0x80; mov; jmp $
        PagingTests.EnterRing3(m);
        m.Cpu.Run(100);
        Assert.Equal(TestMachine.StackTop - 40, m.S.Gpr[3]); // handler ran on RSP0
        Assert.Equal(42UL, m.S.Gpr[1]);
        Assert.Equal(3, m.S.Cpl);
        Assert.Equal(0x370000UL, m.S.Gpr[4]);
        Assert.Equal((ushort)TestMachine.UserDs, m.S.Segments[Seg.Ss].Selector);
    }

    [Fact]
    public void SoftwareInterruptThroughDpl0GateFromRing3IsGp()
    {
        var m = WithHaltingHandlers();
        m.Assemble(TestMachine.CodeBase, a => { a.db(0xCD, 0x80); a.hlt(); });
        PagingTests.EnterRing3(m);
        m.Cpu.Run(100);
        Assert.Equal(Handler(13) + 1, m.S.Rip);
        Assert.Equal(0x80UL * 8 + 2, m.R64(m.S.Gpr[4]));
    }

    [Fact]
    public void InterruptStackTableSelectsIstStack()
    {
        var m = WithHaltingHandlers();
        m.SetGate(3, Handler(3), ist: 2);
        m.W64(TestMachine.TssBase + 0x24 + 8, 0x360008); // IST2, deliberately misaligned: the CPU aligns to 16
        m.Assemble(TestMachine.CodeBase, a => { a.int3(); a.hlt(); });
        m.Cpu.Run(100);
        Assert.Equal(Handler(3) + 1, m.S.Rip);
        Assert.Equal(0x360000UL - 40, m.S.Gpr[4]);
        Assert.Equal(TestMachine.CodeBase + 1, m.R64(m.S.Gpr[4])); // INT3 returns after itself
    }

    [Fact]
    public void FaultWhileDeliveringPageFaultBecomesDoubleFault()
    {
        var m = WithHaltingHandlers();
        m.W64(TestMachine.IdtBase + 14 * 16, 0); // #PF gate not present → #NP during #PF delivery → #DF
        m.SetPte(0x150000, 0x150000, 0);
        m.Assemble(TestMachine.CodeBase, a => { a.mov(rax, __qword_ptr[0x150000]); a.hlt(); });
        m.Cpu.Run(100);
        Assert.Equal(Handler(8) + 1, m.S.Rip);
        Assert.Equal(0UL, m.R64(m.S.Gpr[4]));
    }

    [Fact]
    public void NoUsableIdtIsTripleFault()
    {
        var m = new TestMachine();
        m.S.Idtr = new DescriptorTableRegister { Base = 0, Limit = 0 };
        m.Assemble(TestMachine.CodeBase, a => { a.ud2(); });
        Assert.Equal(RunExit.Shutdown, m.Cpu.Run(100));
        Assert.True(m.Cpu.IsShutdown);
    }

    [Fact]
    public void UndefinedOpcodeRaisesUd()
    {
        var m = WithHaltingHandlers();
        m.Load(TestMachine.CodeBase, [0x0F, 0xFF, 0xFF, 0xFF]);
        m.Cpu.Run(100);
        Assert.Equal(Handler(6) + 1, m.S.Rip);
    }

    private sealed class FakeInterrupts : IInterruptSource
    {
        public int Pending = -1;
        public bool HasPendingInterrupt => Pending >= 0;
        public int AcknowledgeInterrupt()
        {
            int v = Pending;
            Pending = -1;
            return v;
        }
    }

    [Fact]
    public void ExternalInterruptWaitsForIfAndStiShadow()
    {
        var m = WithHaltingHandlers();
        var irq = new FakeInterrupts { Pending = 0x30 };
        m.Cpu.Interrupts = irq;
        m.Assemble(TestMachine.CodeBase, a => { a.mov(eax, 1); a.sti(); a.mov(ebx, 2); a.mov(ecx, 3); a.hlt(); });
        m.Cpu.Run(2); // mov, sti: IF is set but the shadow covers the next instruction
        Assert.Equal(0x30, irq.Pending);
        m.Cpu.Run(100);
        Assert.Equal(Handler(0x30) + 1, m.S.Rip);
        Assert.Equal(2UL, m.S.Gpr[3]);           // the instruction in the shadow ran
        Assert.Equal(0UL, m.S.Gpr[1]);           // the interrupt came before the next one
        Assert.Equal(TestMachine.CodeBase + 5 + 1 + 5, m.R64(m.S.Gpr[4]));
    }

    [Fact]
    public void HltReturnsHaltedAndWakesOnInterrupt()
    {
        var m = WithHaltingHandlers();
        var irq = new FakeInterrupts();
        m.Cpu.Interrupts = irq;
        m.Assemble(Handler(0x40), a => { a.mov(edx, 7); a.iretq(); });
        m.Assemble(TestMachine.CodeBase, a => { a.sti(); a.hlt(); a.mov(ecx, 9); a.hlt(); });
        Assert.Equal(RunExit.Halted, m.Cpu.Run(100));
        Assert.Equal(RunExit.Halted, m.Cpu.Run(100));
        irq.Pending = 0x40;
        Assert.Equal(RunExit.Halted, m.Cpu.Run(100));
        Assert.Equal(7UL, m.S.Gpr[2]);
        Assert.Equal(9UL, m.S.Gpr[1]);
    }

    [Fact]
    public void SyscallAndSysretRoundTrip()
    {
        var m = WithHaltingHandlers();
        const ulong entry = 0x60000;
        m.S.Star = ((ulong)(TestMachine.UserDs - 8 - 3) << 48) | ((ulong)TestMachine.KernelCs << 32);
        m.S.Lstar = entry;
        m.S.Sfmask = RFlags.IF | RFlags.DF;
        m.Assemble(entry, a => { a.mov(rbx, rcx); a.mov(rdx, r11); a.swapgs(); a.swapgs(); a.sysretq(); });
        m.Assemble(TestMachine.CodeBase, a => { a.syscall(); a.mov(eax, 5); a.db(0xEB, 0xFE); });
        PagingTests.EnterRing3(m);
        m.Cpu.SetRflags(RFlags.Fixed1 | RFlags.IF);
        m.Cpu.Run(7);
        Assert.Equal(TestMachine.CodeBase + 2 + 5, m.S.Rip);
        Assert.Equal(TestMachine.CodeBase + 2, m.S.Gpr[3]);
        Assert.NotEqual(0UL, m.S.Gpr[2] & RFlags.IF);
        Assert.Equal(5UL, m.S.Gpr[0]);
        Assert.Equal(3, m.S.Cpl);
        Assert.Equal((ushort)TestMachine.UserCs, m.S.Segments[Seg.Cs].Selector);
        Assert.Equal((ushort)TestMachine.UserDs, m.S.Segments[Seg.Ss].Selector);
        Assert.NotEqual(0UL, m.Cpu.GetRflags() & RFlags.IF);
    }

    [Fact]
    public void PrivilegedInstructionInRing3IsGp()
    {
        var m = WithHaltingHandlers();
        m.Assemble(TestMachine.CodeBase, a => { a.mov(rax, cr3); a.hlt(); });
        PagingTests.EnterRing3(m);
        m.Cpu.Run(100);
        Assert.Equal(Handler(13) + 1, m.S.Rip);
    }
}

public sealed class NmiTests
{
    [Fact]
    public void NmiIgnoresIfWakesHltAndIsBlockedUntilIret()
    {
        var m = new TestMachine();
        m.SetGate(2, 0x60000);
        m.Assemble(0x60000, a => { a.inc(ebx); a.hlt(); a.iretq(); });
        m.Assemble(TestMachine.CodeBase, a => { a.cli(); a.hlt(); a.mov(ecx, 1); a.hlt(); });
        Assert.Equal(Xenon.Emulator.Execution.RunExit.Halted, m.Cpu.Run(100));
        m.Cpu.InjectNmi();
        Assert.Equal(Xenon.Emulator.Execution.RunExit.Halted, m.Cpu.Run(100)); // in the handler's HLT
        Assert.Equal(1UL, m.S.Gpr[3]);
        m.Cpu.InjectNmi();                                                    // blocked: the handler has not IRETed
        Assert.Equal(Xenon.Emulator.Execution.RunExit.Halted, m.Cpu.Run(100));
        Assert.Equal(1UL, m.S.Gpr[3]);
    }
}

