namespace Xenon.Devices.Pci;

public sealed partial class PciConfigSpace
{
    public const int BarCount = 6;

    private const uint IoBarFlag = 0x1;
    private const uint Memory64Flag = 0x4;
    private const uint PrefetchableFlag = 0x8;

    private readonly PciBarKind[] _barKinds = new PciBarKind[BarCount];
    private readonly ulong[] _barSizes = new ulong[BarCount];

    public PciBarKind BarKind(int index) => (uint)index < BarCount ? _barKinds[index] : PciBarKind.None;

    public ulong BarSize(int index) => (uint)index < BarCount ? _barSizes[index] : 0;

    /// <summary>Build time: makes BAR <paramref name="index"/> decode <paramref name="size"/> bytes.
    /// The address bits at and above the size are writable; the type bits and the bits below are read-only.</summary>
    public void DefineBar(int index, PciBarKind kind, ulong size, bool prefetchable = false)
    {
        if ((uint)index >= BarCount) throw new ArgumentOutOfRangeException(nameof(index), index, "BAR index is 0–5");
        if (_barKinds[index] != PciBarKind.None || (index > 0 && _barKinds[index - 1] == PciBarKind.Memory64))
            throw new InvalidOperationException($"BAR {index} is already defined");
        if (!ulong.IsPow2(size)) throw new ArgumentOutOfRangeException(nameof(size), size, "BAR size must be a power of two");
        int offset = PciConfigOffsets.Bar0 + 4 * index;
        switch (kind)
        {
            case PciBarKind.Io:
                // PCI 3.0 §6.2.5.1: I/O BARs claim at most 256 bytes.
                if (size < 4 || size > 256) throw new ArgumentOutOfRangeException(nameof(size), size, "I/O BAR size is 4–256 bytes");
                if (prefetchable) throw new ArgumentException("I/O BARs are not prefetchable", nameof(prefetchable));
                SetInitial(offset, IoBarFlag, 4);
                SetWriteMask(offset, ~(uint)(size - 1) & 0xffff_fffc, 4);
                break;
            case PciBarKind.Memory32:
                if (size < 16 || size > 1UL << 31) throw new ArgumentOutOfRangeException(nameof(size), size, "32-bit memory BAR size is 16 bytes – 2 GiB");
                SetInitial(offset, prefetchable ? PrefetchableFlag : 0, 4);
                SetWriteMask(offset, ~(uint)(size - 1) & 0xffff_fff0, 4);
                break;
            case PciBarKind.Memory64:
                if (index == BarCount - 1) throw new ArgumentOutOfRangeException(nameof(index), index, "a 64-bit BAR needs the next BAR register too");
                if (_barKinds[index + 1] != PciBarKind.None) throw new InvalidOperationException($"BAR {index + 1} is already defined");
                if (size < 16 || size > 1UL << 63) throw new ArgumentOutOfRangeException(nameof(size), size, "64-bit memory BAR size is 16 bytes – 2^63");
                ulong mask = ~(size - 1);
                SetInitial(offset, Memory64Flag | (prefetchable ? PrefetchableFlag : 0), 4);
                SetWriteMask(offset, (uint)mask & 0xffff_fff0, 4);
                SetWriteMask(offset + 4, (uint)(mask >> 32), 4);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a BAR kind");
        }
        _barKinds[index] = kind;
        _barSizes[index] = size;
    }

    /// <summary>The address BAR <paramref name="index"/> currently holds (type bits stripped); 0 if undefined.</summary>
    public ulong BarAddress(int index)
    {
        if ((uint)index >= BarCount) return 0;
        int offset = PciConfigOffsets.Bar0 + 4 * index;
        uint low = ReadUInt32(offset);
        return _barKinds[index] switch
        {
            PciBarKind.Io => low & 0xffff_fffc,
            PciBarKind.Memory32 => low & 0xffff_fff0,
            PciBarKind.Memory64 => (low & 0xffff_fff0) | ((ulong)ReadUInt32(offset + 4) << 32),
            _ => 0,
        };
    }
}
