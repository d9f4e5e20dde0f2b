using Xenon.Machine.Bus;

namespace Xenon.Devices.Legacy.Platform;

/// <summary>
/// The POST diagnostic port (0x80) and its alternative 0xed. Linux writes to one of them as an
/// I/O delay on every slow port access; accepting them silently keeps them out of the
/// unhandled-access log. The last byte written is kept for debugging firmware.
/// </summary>
public sealed class PostCodePort : IPioDevice
{
    private byte _last;

    public byte LastCode => Volatile.Read(ref _last);

    public void Register(PioBus bus)
    {
        bus.Register(LegacyPorts.PostCode, 1, this);
        bus.Register(LegacyPorts.IoDelayAlt, 1, this);
    }

    public void Read(ushort offset, Span<byte> data) => data.Fill(0xff);

    public void Write(ushort offset, ReadOnlySpan<byte> data)
    {
        if (!data.IsEmpty) Volatile.Write(ref _last, data[0]);
    }
}
