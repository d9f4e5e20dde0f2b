using Iced.Intel;
using Xenon.Emulator.Execution;
using Xenon.Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Xenon.Emulator.Tests;

/// <summary>Decoded-block cache: self-modifying code, writes to cached code pages, DMA notifications.</summary>
public sealed class CodeCacheTests
{
    [Fact]
    public void StoreIntoTheRunningBlockTakesEffect()
    {
        var m = new TestMachine();
        // mov byte [patch+1], 0x22 ; patch: mov al, 0x11 ; hlt — the store rewrites the immediate of the next instruction.
        byte[] first = TestMachine.Encode(TestMachine.CodeBase, a => a.mov(__byte_ptr[TestMachine.CodeBase + 100], 0x22));
        ulong patch = TestMachine.CodeBase + (ulong)first.Length;
        m.Assemble(TestMachine.CodeBase, a =>
        {
            a.mov(__byte_ptr[patch + 1], 0x22);
            a.mov(al, 0x11);
            a.hlt();
        });
        m.Cpu.Run(100);
        Assert.Equal(0x22UL, m.S.Gpr[0] & 0xFF);
    }

    [Fact]
    public void RewritingCachedCodeIsSeenOnTheNextRun()
    {
        var m = new TestMachine();
        m.Assemble(TestMachine.CodeBase, a => { a.mov(eax, 1); a.hlt(); });
        m.Cpu.Run(10);
        Assert.Equal(1UL, m.S.Gpr[0]);

        // The guest rewrites the same code from elsewhere, then jumps back to it.
        const ulong writer = 0x120000;
        byte[] replacement = TestMachine.Encode(TestMachine.CodeBase, a => { a.mov(eax, 2); a.hlt(); });
        m.Assemble(writer, a =>
        {
            a.mov(rdi, TestMachine.CodeBase);
            a.mov(rax, BitConverter.ToInt64(replacement.Concat(new byte[8]).ToArray(), 0));
            a.mov(__qword_ptr[rdi], rax);
            a.jmp(rdi);
        });
        m.EnterLongMode();
        m.S.Rip = writer;
        m.Cpu.Run(10);
        Assert.Equal(2UL, m.S.Gpr[0]);
    }

    [Fact]
    public void DmaWriteNotificationDropsDecodedCode()
    {
        var m = new TestMachine();
        m.Assemble(TestMachine.CodeBase, a => { a.mov(eax, 1); a.hlt(); });
        m.Cpu.Run(10);
        byte[] replacement = TestMachine.Encode(TestMachine.CodeBase, a => { a.mov(eax, 3); a.hlt(); });
        replacement.CopyTo(m.Memory.Ram[(int)TestMachine.CodeBase..]);
        m.Cpu.CodePages.NotifyWrite(TestMachine.CodeBase, replacement.Length);
        m.EnterLongMode();
        m.Cpu.Run(10);
        Assert.Equal(3UL, m.S.Gpr[0]);
    }

    [Fact]
    public void InstructionStraddlingAPageBoundaryExecutes()
    {
        var m = new TestMachine();
        ulong at = TestMachine.CodeBase + 0x1000 - 4;
        m.Assemble(at, a => { a.mov(rax, 0x1122334455667788); a.hlt(); });
        m.S.Rip = at;
        Assert.Equal(RunExit.Halted, m.Cpu.Run(10));
        Assert.Equal(0x1122334455667788UL, m.S.Gpr[0]);
    }

    [Fact]
    public void SameCodeAtTwoLinearAddressesResolvesRelativeTargetsPerAddress()
    {
        var m = new TestMachine();
        const ulong alias = 0x1A0000;
        m.SetPte(alias, TestMachine.CodeBase, 7); // alias → same physical page as CodeBase
        m.Assemble(TestMachine.CodeBase, a =>
        {
            var after = a.CreateLabel();
            a.lea(rax, __[after]); // RIP-relative: 7 bytes
            a.Label(ref after);
            a.hlt();
        });
        m.Cpu.Run(10);
        Assert.Equal(TestMachine.CodeBase + 7, m.S.Gpr[0]);
        m.EnterLongMode();
        m.S.Rip = alias;
        m.Cpu.Run(10);
        Assert.Equal(alias + 7, m.S.Gpr[0]);
    }
}
