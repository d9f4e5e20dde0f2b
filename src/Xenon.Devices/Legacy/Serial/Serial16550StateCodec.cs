using System.Buffers;
using Xenon.Devices.State;

namespace Xenon.Devices.Legacy.Serial;

/// <summary>
/// Binary form of <see cref="Serial16550State"/>, kind "serial16550". Version 1: ier, lcr, mcr, fcr, scr,
/// dll, dlm, lsr error bits, msr delta bits (u8 each), THR-empty interrupt pending (bool), last received byte (u8),
/// receive buffer (u32 count ≤ 4096, bytes, oldest first).
/// </summary>
public static class Serial16550StateCodec
{
    public const string Kind = "serial16550";
    public const ushort Version = 1;

    public static int Write(IBufferWriter<byte> output, Serial16550State state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var w = StateWriter.Begin(output, Kind, Version);
        w.U8(state.Ier);
        w.U8(state.Lcr);
        w.U8(state.Mcr);
        w.U8(state.Fcr);
        w.U8(state.Scr);
        w.U8(state.DivisorLow);
        w.U8(state.DivisorHigh);
        w.U8(state.LineStatusErrors);
        w.U8(state.ModemStatusDeltas);
        w.Bool(state.ThrEmptyInterruptPending);
        w.U8(state.LastReceived);
        w.Blob(state.ReceiveBuffer);
        return w.Written;
    }

    public static Serial16550State Read(ReadOnlySpan<byte> data)
    {
        var r = StateReader.Open(data, Kind, Version);
        var state = new Serial16550State(
            Ier: r.U8("ier"),
            Lcr: r.U8("lcr"),
            Mcr: r.U8("mcr"),
            Fcr: r.U8("fcr"),
            Scr: r.U8("scr"),
            DivisorLow: r.U8("dll"),
            DivisorHigh: r.U8("dlm"),
            LineStatusErrors: r.U8("lsr errors"),
            ModemStatusDeltas: r.U8("msr deltas"),
            ThrEmptyInterruptPending: r.Bool("thr empty pending"),
            LastReceived: r.U8("last received"),
            ReceiveBuffer: r.Blob("receive buffer", Uart.ReceiveBufferSize).ToArray());
        r.End();
        return state;
    }
}
