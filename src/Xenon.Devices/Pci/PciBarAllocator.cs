namespace Xenon.Devices.Pci;

/// <summary>
/// Does at build time what firmware does at boot: gives every BAR a naturally aligned place in the
/// windows, largest first so alignment wastes little, writes the BARs and turns on decoding. With
/// direct kernel boot there is no firmware, and Linux keeps placements it finds valid.
/// </summary>
public sealed class PciBarAllocator
{
    /// <summary>Memory BARs get at least a page, so a BAR never shares a page with another device.</summary>
    public const ulong MinimumMemoryAlignment = 4096;

    private readonly PciWindows _windows;

    public PciBarAllocator(PciWindows windows)
    {
        ArgumentNullException.ThrowIfNull(windows);
        _windows = windows;
    }

    /// <summary>Places every BAR of every function on <paramref name="root"/>; throws if they do not fit.</summary>
    public IReadOnlyList<PciBarAssignment> AssignAll(PciRoot root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var bars = new List<(PciAddress Address, IPciDevice Device, PciBar Bar)>();
        foreach (var (address, device) in root.Devices)
            foreach (var bar in device.Bars) bars.Add((address, device, bar));
        // Largest first; ties by address for a stable, reproducible layout.
        bars.Sort((a, b) => b.Bar.Size != a.Bar.Size ? b.Bar.Size.CompareTo(a.Bar.Size)
            : a.Address.DevFn != b.Address.DevFn ? a.Address.DevFn.CompareTo(b.Address.DevFn) : a.Bar.Index.CompareTo(b.Bar.Index));

        ulong next32 = _windows.Mmio32Start, next64 = _windows.Mmio64Start, nextIo = _windows.IoStart;
        var assignments = new List<PciBarAssignment>(bars.Count);
        foreach (var (address, device, bar) in bars)
        {
            ulong place;
            if (bar.Kind == PciBarKind.Io)
            {
                place = AlignUp(nextIo, bar.Size);
                if (place + bar.Size > _windows.IoEnd) throw Full(device, bar, "I/O");
                nextIo = place + bar.Size;
            }
            else
            {
                ulong align = Math.Max(bar.Size, MinimumMemoryAlignment);
                place = AlignUp(next32, align);
                if (place + bar.Size <= _windows.Mmio32End)
                {
                    next32 = place + bar.Size;
                }
                else if (bar.Kind == PciBarKind.Memory64 && _windows.Mmio64End > _windows.Mmio64Start)
                {
                    place = AlignUp(next64, align);
                    if (place + bar.Size > _windows.Mmio64End) throw Full(device, bar, "64-bit memory");
                    next64 = place + bar.Size;
                }
                else throw Full(device, bar, "32-bit memory");
            }
            assignments.Add(new PciBarAssignment(address, device.Name, bar.Index, bar.Kind, place, bar.Size));
        }

        foreach (var a in assignments)
        {
            int offset = PciConfigOffsets.Bar0 + 4 * a.BarIndex;
            uint flags = root.DeviceAt(a.Address)!.Config.ReadUInt32(offset) & (a.Kind == PciBarKind.Io ? 0x3u : 0xfu);
            root.ProgramFirmware(a.Address, offset, (uint)a.Base | flags);
            if (a.Kind == PciBarKind.Memory64) root.ProgramFirmware(a.Address, offset + 4, (uint)(a.Base >> 32));
        }
        foreach (var (address, device) in root.Devices)
        {
            ushort command = device.Config.Command;
            foreach (var bar in device.Bars)
                command |= bar.IsMemory ? PciCommand.MemorySpace : PciCommand.IoSpace;
            if (command != device.Config.Command) root.ProgramFirmware(address, PciConfigOffsets.Command, command);
        }
        return assignments;
    }

    private static ulong AlignUp(ulong value, ulong alignment) => (value + alignment - 1) & ~(alignment - 1);

    private static InvalidOperationException Full(IPciDevice device, PciBar bar, string window) =>
        new($"no room for {device.Name} BAR{bar.Index} (0x{bar.Size:x} bytes) in the PCI {window} window");
}
