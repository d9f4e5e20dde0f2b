using System.Buffers;
using Xenon.Devices.State;

namespace Xenon.Devices.Legacy.Acpi;

/// <summary>
/// Binary form of <see cref="AcpiPmState"/>, kind "acpi-pm". Version 1: PM1 status, enable, control (u16 each),
/// the PM timer's value (u32, below 2^24).
/// </summary>
public static class AcpiPmStateCodec
{
    public const string Kind = "acpi-pm";
    public const ushort Version = 1;

    public static int Write(IBufferWriter<byte> output, AcpiPmState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var w = StateWriter.Begin(output, Kind, Version);
        w.U16(state.Status);
        w.U16(state.Enable);
        w.U16(state.Control);
        w.U32(state.TimerValue);
        return w.Written;
    }

    public static AcpiPmState Read(ReadOnlySpan<byte> data)
    {
        var r = StateReader.Open(data, Kind, Version);
        var state = new AcpiPmState(r.U16("status"), r.U16("enable"), r.U16("control"), r.U32("timer"));
        if (state.TimerValue > Pm1.TimerMask) throw r.Invalid("timer", $"0x{state.TimerValue:x} does not fit the 24-bit PM timer");
        r.End();
        return state;
    }
}
