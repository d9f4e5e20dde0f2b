namespace Xenon.Machine.Memory;

/// <summary>The PC guest-physical address map this machine presents.</summary>
public static class X86Layout
{
    public const ulong MiB = 1UL << 20;
    public const ulong GiB = 1UL << 30;

    /// <summary>Top of conventional memory; 0x9fc00–0x100000 is EBDA, VGA and BIOS area (reserved).</summary>
    public const ulong EbdaStart = 0x9fc00;
    public const ulong HighMemoryStart = 0x100000;

    /// <summary>RAM below 4 GiB stops here; [3 GiB, 4 GiB) is the 32-bit PCI/MMIO hole.</summary>
    public const ulong MmioHoleStart = 3 * GiB;
    public const ulong MmioHoleEnd = 4 * GiB;

    public const ulong IoApicBase = 0xfec0_0000;
    public const ulong LocalApicBase = 0xfee0_0000;

    /// <summary>PCIe ECAM window (256 buses × 1 MiB) inside the hole, below the IOAPIC.</summary>
    public const ulong PciEcamBase = 0xe000_0000;
    public const ulong PciEcamSize = 256 * MiB;

    /// <summary>The last PCI bus the guest is told of (the MCFG's end bus, as the DSDT's _CRS says): there is only the root
    /// bus. Linux takes the MCFG's end bus as the last bus worth probing and, at boot, reads a vendor id at 32 slots of every
    /// bus up to it, looking for peer host bridges; at 255 that was 8160 config reads, two port exits each, for nothing.</summary>
    public const byte PciLastBus = 0;

    /// <summary>Where 32-bit MMIO BARs are allocated: from the hole's start up to the ECAM window.</summary>
    public const ulong PciMmio32Base = MmioHoleStart;
    public const ulong PciMmio32End = PciEcamBase;

    /// <summary>PCI I/O BARs go in [0xc000, 0x10000): the ports below belong to the legacy PC, as on QEMU's PC machines.</summary>
    public const uint PciIoStart = 0xc000;
    public const uint PciIoEnd = 0x10000;

    public const ulong MinimumRam = 16 * MiB;
}
