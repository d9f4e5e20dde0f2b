using System.Buffers;
using Xenon.Devices.State;

namespace Xenon.Devices.Legacy.Platform;

/// <summary>Binary form of <see cref="ResetControlState"/>, kind "reset-control". Version 1: the register's value (u8).</summary>
public static class ResetControlStateCodec
{
    public const string Kind = "reset-control";
    public const ushort Version = 1;

    public static int Write(IBufferWriter<byte> output, ResetControlState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var w = StateWriter.Begin(output, Kind, Version);
        w.U8(state.Value);
        return w.Written;
    }

    public static ResetControlState Read(ReadOnlySpan<byte> data)
    {
        var r = StateReader.Open(data, Kind, Version);
        var state = new ResetControlState(r.U8("value"));
        r.End();
        return state;
    }
}
