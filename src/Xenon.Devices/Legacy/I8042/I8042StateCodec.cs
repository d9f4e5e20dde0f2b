using System.Buffers;
using Xenon.Devices.State;

namespace Xenon.Devices.Legacy.I8042;

/// <summary>
/// Binary form of <see cref="I8042State"/>, kind "i8042". Version 1: the 32 RAM bytes, output port, pending
/// command, output buffer (u8 each), then output buffer full, output from aux, system flag, last write was
/// a command (bool each).
/// </summary>
public static class I8042StateCodec
{
    public const string Kind = "i8042";
    public const ushort Version = 1;

    public static int Write(IBufferWriter<byte> output, I8042State state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Ram is null || state.Ram.Length != I8042Controller.RamSize)
            throw new ArgumentException($"i8042 state must hold {I8042Controller.RamSize} RAM bytes", nameof(state));
        var w = StateWriter.Begin(output, Kind, Version);
        w.Fixed(state.Ram);
        w.U8(state.OutputPort);
        w.U8(state.PendingCommand);
        w.U8(state.OutputBuffer);
        w.Bool(state.OutputBufferFull);
        w.Bool(state.OutputFromAux);
        w.Bool(state.SystemFlag);
        w.Bool(state.LastWriteWasCommand);
        return w.Written;
    }

    public static I8042State Read(ReadOnlySpan<byte> data)
    {
        var r = StateReader.Open(data, Kind, Version);
        var state = new I8042State(
            Ram: r.Fixed("ram", I8042Controller.RamSize).ToArray(),
            OutputPort: r.U8("output port"),
            PendingCommand: r.U8("pending command"),
            OutputBuffer: r.U8("output buffer"),
            OutputBufferFull: r.Bool("output buffer full"),
            OutputFromAux: r.Bool("output from aux"),
            SystemFlag: r.Bool("system flag"),
            LastWriteWasCommand: r.Bool("last write was command"));
        r.End();
        return state;
    }
}
