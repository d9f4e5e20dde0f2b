using Xenon.Machine.Bus;

namespace Xenon.Devices.Legacy.Serial;

/// <summary>
/// The legacy COM port ranges that hold no UART on this machine. They read as the floating bus (all ones, so a probe
/// finds nothing) and drop writes, exactly as an unclaimed port does, but they stay out of the unhandled-access log:
/// Linux's 8250 driver probes COM2–COM4 at every boot, and on a nested host writing those first-time log lines held the
/// probing vCPU 1–12 ms in the middle of the guest's boot (docs/benchmarks.md, "where the guest's boot goes").
/// </summary>
public sealed class AbsentSerialPorts : IPioDevice
{
    /// <summary>COM1–COM4, the bases a PC operating system probes for a UART without being told.</summary>
    public static ReadOnlySpan<ushort> LegacyBases => [LegacyPorts.Com1, LegacyPorts.Com2, LegacyPorts.Com3, LegacyPorts.Com4];

    /// <summary>Claims every legacy COM base except those in <paramref name="present"/> (the UARTs the machine has).
    /// Returns how many ranges it took.</summary>
    public int Register(PioBus bus, ReadOnlySpan<ushort> present)
    {
        ArgumentNullException.ThrowIfNull(bus);
        int claimed = 0;
        foreach (ushort port in LegacyBases)
        {
            if (present.Contains(port)) continue;
            bus.Register(port, LegacyPorts.SerialPortCount, this);
            claimed++;
        }
        return claimed;
    }

    public void Read(ushort offset, Span<byte> data) => data.Fill(0xff);

    public void Write(ushort offset, ReadOnlySpan<byte> data)
    {
        // nothing is there to take the byte
    }
}
