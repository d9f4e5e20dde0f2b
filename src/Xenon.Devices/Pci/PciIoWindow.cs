using Xenon.Machine.Bus;

namespace Xenon.Devices.Pci;

/// <summary>
/// The port range PCI I/O BARs live in, registered once on the port bus. I/O BARs move inside it
/// through its own routing table, because a guest can reprogram them at any time and the port bus
/// is built once. Ports no BAR claims read as all-ones.
/// </summary>
public sealed class PciIoWindow : IPioDevice
{
    private readonly IoBus<IPioDevice> _routes;

    public PciIoWindow(ushort start, uint end, Action<string>? log = null)
    {
        if (end <= start || end > PciWindows.IoSpaceEnd)
            throw new ArgumentOutOfRangeException(nameof(end), end, "I/O window must be non-empty and inside the 64 KiB port space");
        Start = start;
        End = end;
        _routes = new IoBus<IPioDevice>("pci-io", log);
    }

    public ushort Start { get; }

    public uint End { get; }

    public UnhandledAccessLog Unhandled => _routes.Unhandled;

    public void Register(PioBus bus) => bus.Register(Start, (ushort)(End - Start), this);

    internal void Map(ushort port, ushort length, IPioDevice device) => _routes.Register(port, length, device);

    internal bool Unmap(IPioDevice device) => _routes.Unregister(device);

    public void Read(ushort offset, Span<byte> data)
    {
        uint port = Start + (uint)offset;
        if (_routes.TryFind(port, out var dev, out var off)) { dev!.Read((ushort)off, data); return; }
        data.Fill(0xff);
        _routes.Unhandled.Record(port, data.Length, write: false);
    }

    public void Write(ushort offset, ReadOnlySpan<byte> data)
    {
        uint port = Start + (uint)offset;
        if (_routes.TryFind(port, out var dev, out var off)) { dev!.Write((ushort)off, data); return; }
        _routes.Unhandled.Record(port, data.Length, write: true);
    }
}
