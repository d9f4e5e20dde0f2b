using Xenon.Machine.Bus;

namespace Xenon.Devices.Pci;

/// <summary>
/// Where one BAR is currently mapped. The buses unregister by handler identity, so each BAR gets
/// its own forwarding object: a device may serve two BARs with one handler and they still move independently.
/// </summary>
internal sealed class PciBarMapping
{
    private readonly MmioForwarder? _mmio;
    private readonly PioForwarder? _pio;

    public PciBarMapping(PciBar bar)
    {
        Bar = bar;
        if (bar.Mmio is not null) _mmio = new MmioForwarder(bar.Mmio);
        if (bar.Pio is not null) _pio = new PioForwarder(bar.Pio);
    }

    public PciBar Bar { get; }

    public bool IsMapped { get; private set; }

    public ulong Address { get; private set; }

    /// <summary>Tries to place the BAR; false if the bus refuses (the range overlaps another device).</summary>
    public bool TryMap(ulong address, MmioBus mmio, PciIoWindow? io)
    {
        try
        {
            if (_mmio is not null) mmio.Register(address, Bar.Size, _mmio);
            else if (_pio is not null && io is not null) io.Map((ushort)address, (ushort)Bar.Size, _pio);
            else return false;
        }
        catch (InvalidOperationException)
        {
            // The bus refuses overlapping ranges; an overlap is the guest's mistake, so the BAR just stays unmapped.
            return false;
        }
        IsMapped = true;
        Address = address;
        return true;
    }

    public void Unmap(MmioBus mmio, PciIoWindow? io)
    {
        if (!IsMapped) return;
        if (_mmio is not null) mmio.Unregister(_mmio);
        else if (_pio is not null) io?.Unmap(_pio);
        IsMapped = false;
        Address = 0;
    }

    private sealed class MmioForwarder(IMmioDevice inner) : IMmioDevice
    {
        public void Read(ulong offset, Span<byte> data) => inner.Read(offset, data);
        public void Write(ulong offset, ReadOnlySpan<byte> data) => inner.Write(offset, data);
    }

    private sealed class PioForwarder(IPioDevice inner) : IPioDevice
    {
        public void Read(ushort offset, Span<byte> data) => inner.Read(offset, data);
        public void Write(ushort offset, ReadOnlySpan<byte> data) => inner.Write(offset, data);
    }
}
