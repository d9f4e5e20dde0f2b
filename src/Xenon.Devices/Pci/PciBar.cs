using Xenon.Machine.Bus;

namespace Xenon.Devices.Pci;

/// <summary>One BAR of a function and the device model behind it. Offsets the handler sees are
/// relative to the BAR's base, wherever the guest places it.</summary>
public sealed class PciBar
{
    private PciBar(int index, PciBarKind kind, ulong size, bool prefetchable, IMmioDevice? mmio, IPioDevice? pio)
    {
        if ((uint)index >= PciConfigSpace.BarCount) throw new ArgumentOutOfRangeException(nameof(index), index, "BAR index is 0–5");
        Index = index;
        Kind = kind;
        Size = size;
        Prefetchable = prefetchable;
        Mmio = mmio;
        Pio = pio;
    }

    public int Index { get; }
    public PciBarKind Kind { get; }
    public ulong Size { get; }
    public bool Prefetchable { get; }

    /// <summary>The handler of a memory BAR.</summary>
    public IMmioDevice? Mmio { get; }

    /// <summary>The handler of an I/O BAR.</summary>
    public IPioDevice? Pio { get; }

    public bool IsMemory => Kind is PciBarKind.Memory32 or PciBarKind.Memory64;

    public static PciBar Memory32(int index, ulong size, IMmioDevice handler, bool prefetchable = false)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return new(index, PciBarKind.Memory32, size, prefetchable, handler, null);
    }

    public static PciBar Memory64(int index, ulong size, IMmioDevice handler, bool prefetchable = false)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return new(index, PciBarKind.Memory64, size, prefetchable, handler, null);
    }

    public static PciBar Io(int index, ushort size, IPioDevice handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return new(index, PciBarKind.Io, size, false, null, handler);
    }
}
