namespace Xenon.Machine.Bus;

/// <summary>The x86 16-bit port-I/O space.</summary>
public sealed class PioBus
{
    private readonly IoBus<IPioDevice> _bus;

    public PioBus(Action<string>? log = null) => _bus = new IoBus<IPioDevice>("port-io", log);

    public UnhandledAccessLog Unhandled => _bus.Unhandled;

    public void Register(ushort basePort, ushort count, IPioDevice device) => _bus.Register(basePort, count, device);

    public void Read(ushort port, Span<byte> data)
    {
        if (_bus.TryFind(port, out var dev, out var off)) { dev!.Read((ushort)off, data); return; }
        data.Fill(0xff);
        _bus.Unhandled.Record(port, data.Length, write: false);
    }

    public void Write(ushort port, ReadOnlySpan<byte> data)
    {
        if (_bus.TryFind(port, out var dev, out var off)) { dev!.Write((ushort)off, data); return; }
        _bus.Unhandled.Record(port, data.Length, write: true);
    }
}
