using Xenon.Machine.Backend;
using Xenon.Machine.Boot;
using Xenon.Machine.Memory;

namespace Xenon.Machine.Tests.Boot;

public sealed class X86BootSetupTests
{
    [Fact]
    public void GdtHoldsTheDescriptorsLinuxExpects()
    {
        using var memory = GuestMemory.CreateX86(16 * X86Layout.MiB);
        X86BootSetup.WriteGdt(memory);
        Assert.Equal(0UL, memory.Read<ulong>(BootLayout.Gdt));
        Assert.Equal(0x00cf9b000000ffffUL, memory.Read<ulong>(BootLayout.Gdt + 0x08)); // flat 32-bit code
        Assert.Equal(0x00af9b000000ffffUL, memory.Read<ulong>(BootLayout.Gdt + 0x10)); // __BOOT_CS: 64-bit code
        Assert.Equal(0x00cf93000000ffffUL, memory.Read<ulong>(BootLayout.Gdt + 0x18)); // __BOOT_DS: flat data
        Assert.Equal(0x00008b0000000067UL, memory.Read<ulong>(BootLayout.Gdt + 0x20)); // busy TSS
        Assert.Equal(0UL, memory.Read<ulong>(BootLayout.Gdt + 0x28));
    }

    [Fact]
    public void LongModeEntryState()
    {
        using var memory = GuestMemory.CreateX86(16 * X86Layout.MiB);
        var (regs, s) = X86BootSetup.LongModeEntry(memory, 0x1000200, BootLayout.BootParams);
        Assert.Equal(0x1000200UL, regs.Rip);
        Assert.Equal(BootLayout.BootParams, regs.Rsi);
        Assert.Equal(0x10, s.Cs.Selector);
        Assert.True(s.Cs.Long && !s.Cs.DefaultBig && s.Cs.Present && s.Cs.Granularity);
        foreach (var seg in new[] { s.Ds, s.Es, s.Ss })
        {
            Assert.Equal(0x18, seg.Selector);
            Assert.Equal(3, seg.Type);
        }
        Assert.Equal(0x80000011UL, s.Cr0);
        Assert.Equal(BootLayout.Pml4, s.Cr3);
        Assert.Equal(0x20UL, s.Cr4);
        Assert.Equal(0x500UL, s.Efer);
        Assert.Equal(0xfee00900UL, s.ApicBase);
        Assert.Equal(BootLayout.Gdt, s.Gdt.Base);
        Assert.Equal(47, s.Gdt.Limit);
        // hidden parts agree with the descriptors in memory
        Assert.Equal(memory.Read<ulong>(BootLayout.Gdt + s.Cs.Selector), X86BootSetup.Descriptor(s.Cs));
        Assert.Equal(memory.Read<ulong>(BootLayout.Gdt + s.Ds.Selector), X86BootSetup.Descriptor(s.Ds));
        Assert.Equal(memory.Read<ulong>(BootLayout.Gdt + s.Tr.Selector), X86BootSetup.Descriptor(s.Tr));
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(0x1000000UL)]
    [InlineData(0xbfe00000UL)]
    [InlineData(0xfee00000UL)]
    [InlineData(0xffe00000UL)]
    public void PageTablesIdentityMapTheFirstFourGiB(ulong address)
    {
        using var memory = GuestMemory.CreateX86(16 * X86Layout.MiB);
        X86BootSetup.WriteIdentityPageTables(memory);
        Assert.Equal(address, Walk(memory, address + 0x1234) - 0x1234);
    }

    [Fact]
    public void AddressesAboveFourGiBAreNotMapped()
    {
        using var memory = GuestMemory.CreateX86(16 * X86Layout.MiB);
        X86BootSetup.WriteIdentityPageTables(memory);
        ulong pdpte = memory.Read<ulong>(BootLayout.Pdpt + 4 * 8);
        Assert.Equal(0UL, pdpte & 1);
    }

    private static ulong Walk(GuestMemory memory, ulong va)
    {
        ulong pml4e = memory.Read<ulong>(BootLayout.Pml4 + ((va >> 39) & 511) * 8);
        Assert.Equal(3UL, pml4e & 3);
        ulong pdpte = memory.Read<ulong>((pml4e & ~0xfffUL) + ((va >> 30) & 511) * 8);
        Assert.Equal(3UL, pdpte & 3);
        Assert.Equal(0UL, pdpte & 0x80);
        ulong pde = memory.Read<ulong>((pdpte & ~0xfffUL) + ((va >> 21) & 511) * 8);
        Assert.Equal(0x83UL, pde & 0x83);
        return (pde & ~0x1fffffUL) + (va & 0x1fffff);
    }

    [Fact]
    public void DescriptorEncodesBaseAndByteGranularLimit()
    {
        var seg = new X86Segment { Base = 0x12345678, Limit = 0xabcde, Type = 0x3, Present = true, Dpl = 3 };
        ulong d = X86BootSetup.Descriptor(seg);
        Assert.Equal(0x12UL, d >> 56);
        Assert.Equal(0x345678UL, (d >> 16) & 0xffffff);
        Assert.Equal(0xbcdeUL, d & 0xffff);
        Assert.Equal(0xaUL, (d >> 48) & 0xf);
        Assert.Equal(0xf3UL, (d >> 40) & 0xff);
    }
}
