namespace Xenon.Machine.Bus;

/// <summary>Guest-physical MMIO space (addresses not backed by RAM).</summary>
public sealed class MmioBus
{
    private readonly IoBus<IMmioDevice> _bus;

    public MmioBus(Action<string>? log = null) => _bus = new IoBus<IMmioDevice>("mmio", log);

    public UnhandledAccessLog Unhandled => _bus.Unhandled;

    public void Register(ulong baseAddress, ulong length, IMmioDevice device) => _bus.Register(baseAddress, length, device);

    public bool Unregister(IMmioDevice device) => _bus.Unregister(device);

    public void Read(ulong address, Span<byte> data)
    {
        if (_bus.TryFind(address, out var dev, out var off)) { dev!.Read(off, data); return; }
        data.Fill(0xff);
        _bus.Unhandled.Record(address, data.Length, write: false);
    }

    public void Write(ulong address, ReadOnlySpan<byte> data)
    {
        if (_bus.TryFind(address, out var dev, out var off)) { dev!.Write(off, data); return; }
        _bus.Unhandled.Record(address, data.Length, write: true);
    }
}
