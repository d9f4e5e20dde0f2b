using System.Buffers.Binary;
using Xenon.Machine.Backend;
using Xenon.Machine.Memory;

namespace Xenon.Machine.Boot;

/// <summary>
/// The CPU state a direct kernel boot starts in, and the GDT/page tables it relies on, written
/// into low guest memory. One GDT serves both entries: 0x08 flat 32-bit code (PVH), 0x10
/// 64-bit code and 0x18 flat data (the Linux boot protocol's __BOOT_CS/__BOOT_DS), 0x20 a busy
/// TSS. The hidden segment state is derived from the same descriptors, so the two agree.
/// </summary>
public static class X86BootSetup
{
    public const ushort Code32Selector = 0x08;
    public const ushort Code64Selector = 0x10;
    public const ushort DataSelector = 0x18;
    public const ushort TssSelector = 0x20;

    /// <summary>Null, code32, code64, data and a 16-byte TSS descriptor.</summary>
    public const int GdtBytes = 6 * 8;

    public const ulong Cr0ProtectionEnable = 1UL << 0;
    public const ulong Cr0ExtensionType = 1UL << 4;
    public const ulong Cr0Paging = 1UL << 31;
    public const ulong Cr4Pae = 1UL << 5;
    public const ulong EferLme = 1UL << 8;
    public const ulong EferLma = 1UL << 10;

    /// <summary>xAPIC enabled at its default base, this CPU the BSP: what the CPU has at reset.</summary>
    public const ulong BspApicBase = X86Layout.LocalApicBase | (1UL << 11) | (1UL << 8);

    private const ulong PagePresentWritable = 0x3;
    private const ulong PageLarge = 0x80;
    private const ulong TwoMiB = 2 * X86Layout.MiB;

    public static X86Segment Code32 => Flat(Code32Selector, type: 0xb, longMode: false);
    public static X86Segment Code64 => Flat(Code64Selector, type: 0xb, longMode: true);
    public static X86Segment Data => Flat(DataSelector, type: 0x3, longMode: false);

    /// <summary>A busy TSS at 0, limit 0x67: VT-x refuses to enter a guest whose TR is not a busy TSS.</summary>
    public static X86Segment Tss => new()
    {
        Selector = TssSelector, Base = 0, Limit = 0x67, Type = 0xb, Present = true, System = true,
    };

    /// <summary>State for the Linux 64-bit boot protocol entry: long mode, identity-mapped 4 GiB, RSI = boot_params.</summary>
    public static (X86Registers Registers, X86SpecialRegisters Special) LongModeEntry(GuestMemory memory, ulong entry, ulong bootParams)
    {
        WriteGdt(memory);
        WriteIdentityPageTables(memory);
        var regs = new X86Registers
        {
            Rip = entry, Rsi = bootParams, Rflags = 0x2,
            Rsp = BootLayout.BootStackPointer, Rbp = BootLayout.BootStackPointer,
        };
        var data = Data;
        var sregs = new X86SpecialRegisters
        {
            Cs = Code64, Ds = data, Es = data, Fs = data, Gs = data, Ss = data,
            Tr = Tss, Ldt = UnusableLdt,
            Gdt = new X86DescriptorTable { Base = BootLayout.Gdt, Limit = GdtBytes - 1 },
            Idt = new X86DescriptorTable { Base = 0, Limit = 0 },
            Cr0 = Cr0ProtectionEnable | Cr0ExtensionType | Cr0Paging,
            Cr3 = BootLayout.Pml4,
            Cr4 = Cr4Pae,
            Efer = EferLme | EferLma,
            ApicBase = BspApicBase,
        };
        return (regs, sregs);
    }

    /// <summary>State for the PVH entry: 32-bit protected mode, paging off, flat segments, EBX = hvm_start_info.</summary>
    public static (X86Registers Registers, X86SpecialRegisters Special) ProtectedModeEntry(GuestMemory memory, uint entry, uint startInfo)
    {
        WriteGdt(memory);
        var regs = new X86Registers { Rip = entry, Rbx = startInfo, Rflags = 0x2 };
        var data = Data;
        var sregs = new X86SpecialRegisters
        {
            Cs = Code32, Ds = data, Es = data, Fs = data, Gs = data, Ss = data,
            Tr = Tss, Ldt = UnusableLdt,
            Gdt = new X86DescriptorTable { Base = BootLayout.Gdt, Limit = GdtBytes - 1 },
            Idt = new X86DescriptorTable { Base = 0, Limit = 0 },
            Cr0 = Cr0ProtectionEnable | Cr0ExtensionType,
            ApicBase = BspApicBase,
        };
        return (regs, sregs);
    }

    public static void WriteGdt(GuestMemory memory)
    {
        var gdt = memory.GetSpan(BootLayout.Gdt, GdtBytes);
        gdt.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(gdt[Code32Selector..], Descriptor(Code32));
        BinaryPrimitives.WriteUInt64LittleEndian(gdt[Code64Selector..], Descriptor(Code64));
        BinaryPrimitives.WriteUInt64LittleEndian(gdt[DataSelector..], Descriptor(Data));
        // The TSS descriptor's second half (base bits 63:32) stays zero.
        BinaryPrimitives.WriteUInt64LittleEndian(gdt[TssSelector..], Descriptor(Tss));
    }

    /// <summary>PML4 → one PDPT → four page directories of 2 MiB pages: [0, 4 GiB) mapped 1:1.</summary>
    public static void WriteIdentityPageTables(GuestMemory memory)
    {
        var pml4 = memory.GetSpan(BootLayout.Pml4, (int)BootLayout.PageSize);
        pml4.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(pml4, BootLayout.Pdpt | PagePresentWritable);

        var pdpt = memory.GetSpan(BootLayout.Pdpt, (int)BootLayout.PageSize);
        pdpt.Clear();
        for (int i = 0; i < BootLayout.PageDirectoryCount; i++)
        {
            ulong pd = BootLayout.PageDirectories + (ulong)i * BootLayout.PageSize;
            BinaryPrimitives.WriteUInt64LittleEndian(pdpt[(i * 8)..], pd | PagePresentWritable);
            var dir = memory.GetSpan(pd, (int)BootLayout.PageSize);
            for (int j = 0; j < 512; j++)
            {
                ulong address = ((ulong)i * 512 + (ulong)j) * TwoMiB;
                BinaryPrimitives.WriteUInt64LittleEndian(dir[(j * 8)..], address | PagePresentWritable | PageLarge);
            }
        }
    }

    /// <summary>Encodes a segment's hidden state as an 8-byte GDT descriptor.</summary>
    public static ulong Descriptor(in X86Segment s)
    {
        ulong limit = s.Granularity ? s.Limit >> 12 : s.Limit;
        ulong access = s.Type & 0xfUL
            | (s.System ? 0UL : 1UL) << 4
            | (ulong)(s.Dpl & 3) << 5
            | (s.Present ? 1UL : 0UL) << 7;
        ulong flags = (s.Available ? 1UL : 0UL)
            | (s.Long ? 1UL : 0UL) << 1
            | (s.DefaultBig ? 1UL : 0UL) << 2
            | (s.Granularity ? 1UL : 0UL) << 3;
        return (limit & 0xffff)
            | (s.Base & 0xffffff) << 16
            | access << 40
            | (limit >> 16 & 0xf) << 48
            | flags << 52
            | (s.Base >> 24 & 0xff) << 56;
    }

    private static X86Segment UnusableLdt => new() { Type = 0x2, System = true, Unusable = true };

    private static X86Segment Flat(ushort selector, byte type, bool longMode) => new()
    {
        Selector = selector, Base = 0, Limit = 0xffff_ffff, Type = type, Present = true,
        DefaultBig = !longMode, Long = longMode, Granularity = true, System = false, Dpl = 0,
    };
}
