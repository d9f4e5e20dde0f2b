using System.Buffers;
using Xenon.Devices.State;

namespace Xenon.Devices.Legacy.Rtc;

/// <summary>
/// Binary form of <see cref="CmosRtcState"/>, kind "cmos-rtc". Version 1: selected index (u8), the 128 CMOS
/// bytes, the guest clock's offset from host UTC (i64, 100 ns ticks).
/// </summary>
public static class CmosRtcStateCodec
{
    public const string Kind = "cmos-rtc";
    public const ushort Version = 1;

    public static int Write(IBufferWriter<byte> output, CmosRtcState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Nvram is null || state.Nvram.Length != Cmos.Size)
            throw new ArgumentException($"RTC state must hold {Cmos.Size} CMOS bytes", nameof(state));
        var w = StateWriter.Begin(output, Kind, Version);
        w.U8(state.Index);
        w.Fixed(state.Nvram);
        w.I64(state.GuestOffsetTicks);
        return w.Written;
    }

    public static CmosRtcState Read(ReadOnlySpan<byte> data)
    {
        var r = StateReader.Open(data, Kind, Version);
        var state = new CmosRtcState(r.U8("index"), r.Fixed("nvram", Cmos.Size).ToArray(), r.I64("guest offset"));
        r.End();
        return state;
    }
}
