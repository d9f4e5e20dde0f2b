using Iced.Intel;
using Xenon.Emulator.Memory;
using Xenon.Emulator.State;
using Xenon.Emulator.Tests.Support;
using static Iced.Intel.AssemblerRegisters;

namespace Xenon.Emulator.Tests;

/// <summary>Port I/O and MMIO reach their callbacks with the right sizes and values; privilege rules apply.</summary>
public sealed class IoAndMmioTests
{
    private sealed class RecordingIo : IPortIo
    {
        public readonly List<(ushort Port, int Size, uint Value)> Writes = [];
        public uint In(ushort port, int size) => port == 0x71 ? 0xA5u : (uint)(0x11223344 & (size == 4 ? uint.MaxValue : (1u << (size * 8)) - 1));
        public void Out(ushort port, int size, uint value) => Writes.Add((port, size, value));
    }

    [Fact]
    public void InOutAndStringIo()
    {
        var io = new RecordingIo();
        var m = new TestMachine(io);
        m.W32(TestMachine.DataBase, 0x64636261);
        m.Assemble(TestMachine.CodeBase, a =>
        {
            a.mov(al, 0x0A);
            a.@out(0x70, al);
            a.@in(al, 0x71);
            a.mov(bl, al);
            a.mov(dx, 0x3F8);
            a.mov(eax, 0xDEADBEEF);
            a.@out(dx, eax);
            a.mov(rsi, TestMachine.DataBase);
            a.mov(ecx, 4);
            a.rep.outsb();
            a.mov(rdi, TestMachine.DataBase + 0x10);
            a.mov(ecx, 2);
            a.rep.insw();
            a.hlt();
        });
        m.Cpu.Run(100);
        Assert.Equal(0xA5UL, m.S.Gpr[3] & 0xFF);
        Assert.Equal((0x70, 1, 0x0Au), (io.Writes[0].Port, io.Writes[0].Size, io.Writes[0].Value));
        Assert.Equal((0x3F8, 4, 0xDEADBEEFu), (io.Writes[1].Port, io.Writes[1].Size, io.Writes[1].Value));
        Assert.Equal("abcd", string.Concat(io.Writes.Skip(2).Select(w => (char)w.Value)));
        Assert.Equal(0x33443344u, m.R32(TestMachine.DataBase + 0x10));
    }

    [Fact]
    public void PortIoInRing3WithoutIoplIsGp()
    {
        var m = new TestMachine(new RecordingIo());
        m.SetGate(13, TestMachine.HandlerBase);
        m.Load(TestMachine.HandlerBase, [0xF4]);
        m.Assemble(TestMachine.CodeBase, a => { a.@in(al, 0x71); a.hlt(); });
        PagingTests.EnterRing3(m);
        m.Cpu.Run(10);
        Assert.Equal(TestMachine.HandlerBase + 1, m.S.Rip);
    }

    [Fact]
    public void MmioAccessesReachTheCallbacks()
    {
        var m = new TestMachine();
        var writes = new List<(ulong, int, ulong)>();
        m.Memory.MmioRead = (gpa, size) => gpa == 0xFEE00030 ? 0x50014UL : 0;
        m.Memory.MmioWrite = (gpa, size, v) => writes.Add((gpa, size, v));
        // Map the LAPIC page at its usual address through a 4 KiB PTE at linear 0x1F0000.
        m.SetPte(0x1F0000, 0xFEE00000, 0x1B); // present, writable, PCD|PWT
        m.Assemble(TestMachine.CodeBase, a =>
        {
            a.mov(eax, __dword_ptr[0x1F0030]);
            a.mov(__dword_ptr[0x1F00B0], 0);
            a.mov(__qword_ptr[0x1F0300], rax);
            a.hlt();
        });
        m.Cpu.Run(10);
        Assert.Equal(0x50014UL, m.S.Gpr[0]);
        Assert.Equal([(0xFEE000B0UL, 4, 0UL), (0xFEE00300UL, 8, 0x50014UL)], writes);
    }

    [Fact]
    public void VerwSetsZfForWritableData()
    {
        var m = new TestMachine();
        m.Assemble(TestMachine.CodeBase, a =>
        {
            a.mov(ax, TestMachine.KernelDs);
            a.verw(ax);
            a.setz(bl);
            a.mov(ax, TestMachine.KernelCs);
            a.verw(ax);
            a.setz(cl);
            a.hlt();
        });
        m.Cpu.Run(10);
        Assert.Equal(1UL, m.S.Gpr[3] & 0xFF);
        Assert.Equal(0UL, m.S.Gpr[1] & 0xFF);
    }
}
