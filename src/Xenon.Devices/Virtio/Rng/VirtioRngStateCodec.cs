using System.Buffers;
using Xenon.Devices.State;

namespace Xenon.Devices.Virtio.Rng;

/// <summary>
/// Binary form of <see cref="VirtioRngState"/>, kind "virtio-rng". Version 1: active, needs-reset (bool); bytes
/// served, requests served, throttle events (u64, below 2^63); window open (bool), bytes used (u64), nanoseconds since
/// it opened (u64, below 2^62).
/// </summary>
public static class VirtioRngStateCodec
{
    public const string Kind = "virtio-rng";
    public const ushort Version = 1;

    /// <summary>Longest window age accepted (about 146 years): keeps the conversion to clock ticks from overflowing.</summary>
    public const ulong MaxElapsedNanoseconds = 1UL << 62;

    public static int Write(IBufferWriter<byte> output, VirtioRngState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var w = StateWriter.Begin(output, Kind, Version);
        w.Bool(state.Active);
        w.Bool(state.NeedsReset);
        w.U64((ulong)state.BytesServed);
        w.U64((ulong)state.RequestsServed);
        w.U64((ulong)state.ThrottleEvents);
        w.Bool(state.WindowOpen);
        w.U64(state.WindowUsed);
        w.U64(state.WindowElapsedNanoseconds);
        return w.Written;
    }

    public static VirtioRngState Read(ReadOnlySpan<byte> data)
    {
        var r = StateReader.Open(data, Kind, Version);
        bool active = r.Bool("active");
        bool needsReset = r.Bool("needs reset");
        long bytes = Counter(ref r, "bytes served");
        long requests = Counter(ref r, "requests served");
        long throttled = Counter(ref r, "throttle events");
        bool open = r.Bool("window open");
        ulong used = r.U64("window used");
        ulong elapsed = r.U64("window elapsed");
        if (elapsed > MaxElapsedNanoseconds) throw r.Invalid("window elapsed", $"{elapsed} ns is not a window's age");
        r.End();
        return new VirtioRngState(active, needsReset, bytes, requests, throttled, open, used, elapsed);
    }

    private static long Counter(ref StateReader r, string field)
    {
        ulong value = r.U64(field);
        if (value > long.MaxValue) throw r.Invalid(field, $"{value} is not a count");
        return (long)value;
    }
}
