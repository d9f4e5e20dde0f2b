using Xenon.Machine;
using Xenon.Machine.Bus;

namespace Xenon.Devices.Legacy.Platform;

/// <summary>
/// QEMU's pvpanic ISA device (port 0x505): the guest kernel writes PANICKED when it panics, so the
/// toolstack can apply on_crash instead of watching a dead console. Reads advertise the events supported.
/// </summary>
/// <remarks>Stateless apart from configuration, so it has no saved form.</remarks>
public sealed class PvPanic : IPioDevice
{
    public const byte Panicked = 0x01;
    public const byte CrashLoaded = 0x02;
    private const byte Supported = Panicked | CrashLoaded;

    private readonly IMachineControl _control;
    private readonly Action<string>? _log;

    public PvPanic(IMachineControl control, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(control);
        _control = control;
        _log = log;
    }

    public void Register(PioBus bus) => bus.Register(LegacyPorts.PvPanicPort, 1, this);

    public void Read(ushort offset, Span<byte> data)
    {
        for (int i = 0; i < data.Length; i++) data[i] = offset + i == 0 ? Supported : (byte)0xff;
    }

    public void Write(ushort offset, ReadOnlySpan<byte> data)
    {
        if (offset != 0 || data.IsEmpty) return;
        byte events = data[0];
        if ((events & Panicked) != 0)
            _control.RequestShutdown(ShutdownReason.Crash, "guest panic (pvpanic)");
        else if ((events & CrashLoaded) != 0)
            _log?.Invoke("pvpanic: guest panicked and is running its crash kernel");
    }
}
