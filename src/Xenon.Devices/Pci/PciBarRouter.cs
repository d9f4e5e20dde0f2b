using Xenon.Machine.Bus;

namespace Xenon.Devices.Pci;

/// <summary>
/// Splits one memory BAR into sub-regions served by different models (a virtio BAR holds the common,
/// notify, ISR and device registers next to the MSI-X table and PBA). Gaps read as zero and ignore writes.
/// </summary>
/// <remarks>Regions are added at build time; lookups are a short linear scan over an immutable array.</remarks>
public sealed class PciBarRouter : IMmioDevice
{
    private Region[] _regions = [];

    private readonly record struct Region(ulong Offset, ulong Length, IMmioDevice Device);

    public PciBarRouter(ulong size)
    {
        if (size == 0) throw new ArgumentOutOfRangeException(nameof(size), size, "a BAR is not empty");
        Size = size;
    }

    public ulong Size { get; }

    public PciBarRouter Add(ulong offset, ulong length, IMmioDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (length == 0 || offset + length < offset || offset + length > Size)
            throw new ArgumentOutOfRangeException(nameof(length), $"region 0x{offset:x}+0x{length:x} is outside the 0x{Size:x}-byte BAR");
        foreach (var r in _regions)
            if (offset < r.Offset + r.Length && r.Offset < offset + length)
                throw new InvalidOperationException($"region 0x{offset:x}+0x{length:x} overlaps 0x{r.Offset:x}+0x{r.Length:x}");
        _regions = [.. _regions, new Region(offset, length, device)];
        return this;
    }

    public void Read(ulong offset, Span<byte> data)
    {
        foreach (var r in _regions)
        {
            if (offset - r.Offset < r.Length)
            {
                int inside = (int)Math.Min((ulong)data.Length, r.Length - (offset - r.Offset));
                r.Device.Read(offset - r.Offset, data[..inside]);
                data[inside..].Clear();
                return;
            }
        }
        data.Clear();
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        foreach (var r in _regions)
        {
            if (offset - r.Offset < r.Length)
            {
                int inside = (int)Math.Min((ulong)data.Length, r.Length - (offset - r.Offset));
                r.Device.Write(offset - r.Offset, data[..inside]);
                return;
            }
        }
    }
}
