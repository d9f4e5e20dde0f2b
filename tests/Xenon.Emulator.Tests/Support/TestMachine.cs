using System.Buffers.Binary;
using Iced.Intel;
using Xenon.Emulator.Execution;
using Xenon.Emulator.Memory;
using Xenon.Emulator.State;

namespace Xenon.Emulator.Tests.Support;

/// <summary>
/// A 16 MiB machine already in 64-bit long mode (as a loader would leave it): identity paging (4 KiB pages below 4 MiB,
/// 2 MiB pages up to 16 MiB), a GDT with ring-0/ring-3 code and data and a TSS, an empty IDT. Tests place code at
/// <see cref="CodeBase"/>, data at <see cref="DataBase"/> and run.
/// </summary>
internal sealed class TestMachine
{
    public const ulong GdtBase = 0x1000, IdtBase = 0x2000, TssBase = 0x3000, Pml4 = 0x10000, Pdpt = 0x11000, Pd = 0x12000,
        Pt0 = 0x13000, Pt1 = 0x14000, CodeBase = 0x100000, DataBase = 0x200000, StackTop = 0x380000, HandlerBase = 0x50000;
    public const ushort KernelCs = 0x08, KernelDs = 0x10, Code32 = 0x18, UserDs = 0x23, UserCs = 0x2B, TssSel = 0x30, Code16 = 0x40,
        Data16 = 0x48, UserCs32 = 0x53, Tss32Sel = 0x58;
    public const ulong Tss32Base = 0x3800;

    public FlatPhysicalMemory Memory { get; } = new(16 << 20);
    public Cpu Cpu { get; }
    public CpuState S => Cpu.State;

    public TestMachine(IPortIo? io = null, CpuidModel? cpuid = null)
    {
        Cpu = new Cpu(Memory, io: io, cpuid: cpuid);
        // Page tables: PML4[0] → PDPT[0] → PD; PD[0..1] → 4 KiB tables, PD[2..7] → 2 MiB pages.
        W64(Pml4, Pdpt | 7);
        W64(Pdpt, Pd | 7);
        W64(Pd, Pt0 | 7);
        W64(Pd + 8, Pt1 | 7);
        for (ulong k = 2; k < 8; k++) W64(Pd + k * 8, (k << 21) | 0x87);
        for (ulong p = 0; p < 1024; p++) W64(Pt0 + p * 8, (p << 12) | 7);

        ulong[] gdt =
        [
            0,
            0x00AF9A000000FFFF, // 0x08 kernel code 64
            0x00CF92000000FFFF, // 0x10 kernel data
            0x00CF9A000000FFFF, // 0x18 code 32
            0x00CFF2000000FFFF, // 0x20 user data
            0x00AFFA000000FFFF, // 0x28 user code 64
            TssDescriptorLow(TssBase, 0x67), 0, // 0x30 TSS (16 bytes)
            0x00009A000000FFFF, // 0x40 code 16
            0x000092000000FFFF, // 0x48 data 16
            0x00CFFA000000FFFF, // 0x50 user code 32
            TssDescriptorLow(Tss32Base, 0x67), // 0x58 32-bit TSS
        ];
        for (int k = 0; k < gdt.Length; k++) W64(GdtBase + (ulong)(k * 8), gdt[k]);
        EnterLongMode();
    }

    private static ulong TssDescriptorLow(ulong b, ulong limit) =>
        (limit & 0xFFFF) | ((b & 0xFFFFFF) << 16) | (0x89UL << 40) | ((limit & 0xF0000) << 32) | ((b >> 24) << 56);

    public void EnterLongMode()
    {
        S.Cr0 = ControlBits.Cr0PE | ControlBits.Cr0PG | ControlBits.Cr0WP | ControlBits.Cr0ET | ControlBits.Cr0NE | ControlBits.Cr0MP;
        S.Cr4 = ControlBits.Cr4PAE | ControlBits.Cr4PGE | ControlBits.Cr4OSFXSR | ControlBits.Cr4OSXMMEXCPT;
        S.Efer = ControlBits.EferLME | ControlBits.EferLMA | ControlBits.EferNXE | ControlBits.EferSCE;
        S.Cr3 = Pml4;
        S.Gdtr = new DescriptorTableRegister { Base = GdtBase, Limit = 0x5F };
        S.Idtr = new DescriptorTableRegister { Base = IdtBase, Limit = 0xFFF };
        S.Segments[Seg.Cs] = SegmentRegister.FromDescriptor(KernelCs, 0x00AF9B000000FFFF);
        var data = SegmentRegister.FromDescriptor(KernelDs, 0x00CF93000000FFFF);
        S.Segments[Seg.Ss] = data;
        S.Segments[Seg.Ds] = data;
        S.Segments[Seg.Es] = data;
        S.Segments[Seg.Fs] = data;
        S.Segments[Seg.Gs] = data;
        var tr = SegmentRegister.FromDescriptor(TssSel, TssDescriptorLow(TssBase, 0x67) | (0xBUL << 40));
        S.Tr = tr;
        S.Gpr[4] = StackTop;
        S.Rip = CodeBase;
        S.Halted = false;
        S.InterruptShadow = false;
        Cpu.SetRflags(RFlags.Fixed1);
        Cpu.StateChanged();
    }

    public ulong R64(ulong a) => BinaryPrimitives.ReadUInt64LittleEndian(Memory.Ram[(int)a..]);
    public void W64(ulong a, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(Memory.Ram[(int)a..], v);
    public uint R32(ulong a) => BinaryPrimitives.ReadUInt32LittleEndian(Memory.Ram[(int)a..]);
    public void W32(ulong a, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(Memory.Ram[(int)a..], v);

    public void Load(ulong address, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Memory.Ram[(int)address..]);
        Cpu.CodePages.NotifyWrite(address, bytes.Length);
    }

    /// <summary>Assembles with Iced at <paramref name="address"/> (bitness 64 unless given) and loads the bytes there.</summary>
    public byte[] Assemble(ulong address, Action<Assembler> emit, int bitness = 64)
    {
        byte[] code = Encode(address, emit, bitness);
        Load(address, code);
        return code;
    }

    public static byte[] Encode(ulong address, Action<Assembler> emit, int bitness = 64)
    {
        var a = new Assembler(bitness);
        emit(a);
        var writer = new CodeWriterImpl();
        a.Assemble(writer, address);
        return writer.ToArray();
    }

    /// <summary>Installs a 64-bit interrupt gate for <paramref name="vector"/> → <paramref name="handler"/> (IST and DPL optional).</summary>
    public void SetGate(int vector, ulong handler, int ist = 0, int dpl = 0, bool trap = false)
    {
        ulong low = (handler & 0xFFFF) | ((ulong)KernelCs << 16) | ((ulong)ist << 32) | ((trap ? 0xFUL : 0xEUL) << 40) |
                    ((ulong)dpl << 45) | (1UL << 47) | ((handler >> 16 & 0xFFFF) << 48);
        W64(IdtBase + (ulong)vector * 16, low);
        W64(IdtBase + (ulong)vector * 16 + 8, handler >> 32);
    }

    /// <summary>32-bit protected mode, paging off, flat ring-0 segments, TR = the 32-bit TSS, IDT of 8-byte gates at IdtBase.</summary>
    public void EnterProtectedMode32()
    {
        S.Cr0 = ControlBits.Cr0PE | ControlBits.Cr0ET | ControlBits.Cr0NE;
        S.Cr4 = ControlBits.Cr4OSFXSR;
        S.Efer = 0;
        S.Segments[Seg.Cs] = SegmentRegister.FromDescriptor(Code32, 0x00CF9B000000FFFF);
        var data = SegmentRegister.FromDescriptor(KernelDs, 0x00CF93000000FFFF);
        for (int s = 0; s < 6; s++) if (s != Seg.Cs) S.Segments[s] = data;
        S.Tr = SegmentRegister.FromDescriptor(Tss32Sel, TssDescriptorLow(Tss32Base, 0x67) | (0xBUL << 40));
        S.Idtr = new DescriptorTableRegister { Base = IdtBase, Limit = 0x7FF };
        S.Gpr[4] = StackTop;
        S.Rip = CodeBase;
        S.Halted = false;
        Cpu.SetRflags(RFlags.Fixed1);
        Cpu.StateChanged();
    }

    /// <summary>A 32-bit interrupt gate to Code32:handler.</summary>
    public void SetGate32(int vector, uint handler, int dpl = 0)
    {
        ulong g = (handler & 0xFFFFUL) | ((ulong)Code32 << 16) | (0xEUL << 40) | ((ulong)dpl << 45) | (1UL << 47) | ((ulong)(handler >> 16) << 48);
        W64(IdtBase + (ulong)vector * 8, g);
    }

    /// <summary>Points the PTE of a page below 4 MiB at <paramref name="phys"/> with the given flags, and flushes the TLB.</summary>
    public void SetPte(ulong linear, ulong phys, ulong flags)
    {
        ulong table = linear < 0x200000 ? Pt0 : Pt1;
        W64(table + ((linear >> 12) & 0x1FF) * 8, (phys & ~0xFFFUL) | flags);
        Cpu.StateChanged();
    }

    public ulong Pte(ulong linear) => R64((linear < 0x200000 ? Pt0 : Pt1) + ((linear >> 12) & 0x1FF) * 8);

    private sealed class CodeWriterImpl : CodeWriter
    {
        private readonly List<byte> _bytes = [];
        public override void WriteByte(byte value) => _bytes.Add(value);
        public byte[] ToArray() => [.. _bytes];
    }
}
