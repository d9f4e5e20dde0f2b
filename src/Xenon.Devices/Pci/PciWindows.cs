using Xenon.Machine.Memory;

namespace Xenon.Devices.Pci;

/// <summary>The address ranges BARs may occupy. A BAR the guest points elsewhere stays unmapped.</summary>
/// <param name="Mmio32Start">32-bit memory window start (inclusive).</param>
/// <param name="Mmio32End">32-bit memory window end (exclusive).</param>
/// <param name="Mmio64Start">Window above 4 GiB for 64-bit BARs (inclusive); empty when equal to the end.</param>
/// <param name="Mmio64End">Its end (exclusive).</param>
/// <param name="IoStart">Port window start (inclusive).</param>
/// <param name="IoEnd">Port window end (exclusive, at most 0x10000).</param>
public sealed record PciWindows(ulong Mmio32Start, ulong Mmio32End, ulong Mmio64Start, ulong Mmio64End, uint IoStart, uint IoEnd)
{
    /// <summary>Ports below 0xc000 are the legacy PC's; PCI I/O BARs go above, as on QEMU's PC machines.</summary>
    public const uint DefaultIoStart = X86Layout.PciIoStart;
    public const uint IoSpaceEnd = X86Layout.PciIoEnd;

    /// <summary>32-bit BARs in [PciMmio32Base, PciMmio32End), 64-bit BARs there too (no high window), ports 0xc000–0xffff.</summary>
    public static PciWindows Default { get; } = new(X86Layout.PciMmio32Base, X86Layout.PciMmio32End, 0, 0, DefaultIoStart, IoSpaceEnd);

    public bool ContainsMmio(ulong address, ulong size, bool allow64)
    {
        if (size == 0 || address + size < address) return false;
        if (address >= Mmio32Start && address + size <= Mmio32End) return true;
        return allow64 && address >= Mmio64Start && address + size <= Mmio64End;
    }

    public bool ContainsIo(ulong port, ulong size) =>
        size != 0 && port + size >= port && port >= IoStart && port + size <= IoEnd;
}
