using System.Buffers;
using Xenon.Devices.State;

namespace Xenon.Devices.Virtio.Balloon;

/// <summary>
/// Binary form of <see cref="VirtioBalloonState"/>, kind "virtio-balloon". Version 1: target, actual (u32); active,
/// needs-reset (bool); inflated, reported, invalid PFNs, discard failures (u64); stats buffer held (bool), its head
/// (u16); statistics present (bool), then received at (i64, UTC ticks), unknown tags (u32 ≤ 64), truncated (bool),
/// present tags (u32, bit per known tag), one u64 value per known tag (16).
/// </summary>
public static class VirtioBalloonStateCodec
{
    public const string Kind = "virtio-balloon";
    public const ushort Version = 1;

    public static int Write(IBufferWriter<byte> output, VirtioBalloonState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var w = StateWriter.Begin(output, Kind, Version);
        w.U32(state.TargetPages);
        w.U32(state.ActualPages);
        w.Bool(state.Active);
        w.Bool(state.NeedsReset);
        w.U64(state.InflatedPages);
        w.U64(state.ReportedPages);
        w.U64(state.InvalidPfns);
        w.U64(state.DiscardFailures);
        w.Bool(state.HeldStatsHead.HasValue);
        w.U16(state.HeldStatsHead.GetValueOrDefault());
        w.Bool(state.LatestStats is not null);
        if (state.LatestStats is { } stats)
        {
            w.I64(stats.ReceivedAt.UtcTicks);
            w.U32((uint)stats.UnknownTags);
            w.Bool(stats.Truncated);
            w.U32(stats.PresentMask);
            foreach (ulong value in stats.Values) w.U64(value);
        }
        return w.Written;
    }

    public static VirtioBalloonState Read(ReadOnlySpan<byte> data)
    {
        var r = StateReader.Open(data, Kind, Version);
        uint target = r.U32("target");
        uint actual = r.U32("actual");
        bool active = r.Bool("active");
        bool needsReset = r.Bool("needs reset");
        ulong inflated = r.U64("inflated pages");
        ulong reported = r.U64("reported pages");
        ulong invalid = r.U64("invalid pfns");
        ulong failures = r.U64("discard failures");
        bool held = r.Bool("stats buffer held");
        ushort head = r.U16("stats buffer head");
        if (!held && head != 0) throw r.Invalid("stats buffer head", "a head without a held buffer");
        BalloonStats? stats = null;
        if (r.Bool("statistics present"))
        {
            long ticks = r.I64("statistics received at");
            if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
                throw r.Invalid("statistics received at", $"{ticks} ticks is not a date");
            uint unknown = r.U32("statistics unknown tags");
            if (unknown > BalloonStats.MaxEntries) throw r.Invalid("statistics unknown tags", $"{unknown} is more than a report's {BalloonStats.MaxEntries} entries");
            bool truncated = r.Bool("statistics truncated");
            uint present = r.U32("statistics present tags");
            if ((present >> BalloonStats.KnownTagCount) != 0) throw r.Invalid("statistics present tags", $"0x{present:x} names tags this device does not know");
            Span<ulong> values = stackalloc ulong[BalloonStats.KnownTagCount];
            for (int i = 0; i < values.Length; i++) values[i] = r.U64("statistics value");
            stats = BalloonStats.FromSaved(values, present, (int)unknown, truncated, new DateTimeOffset(ticks, TimeSpan.Zero));
        }
        r.End();
        return new VirtioBalloonState(target, actual, active, needsReset, inflated, reported, invalid, failures, held ? head : null, stats);
    }
}
