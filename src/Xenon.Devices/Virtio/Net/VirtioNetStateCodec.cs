using System.Buffers;
using Xenon.Devices.State;
using Xenon.Devices.Virtio.Queue;

namespace Xenon.Devices.Virtio.Net;

/// <summary>
/// Binary form of <see cref="VirtioNetState"/>, kind "virtio-net". Version 1: MAC (6 bytes), MTU, link status (u16),
/// active, needs-reset (bool), pending frame (u32 ≤ <see cref="VirtioNet.MaxPacketBytes"/>, bytes), stashed receive
/// chains (u32 ≤ 32768, u16 head each), 13 counters (u64 each, below 2^63).
/// </summary>
public static class VirtioNetStateCodec
{
    public const string Kind = "virtio-net";
    public const ushort Version = 1;

    public static int Write(IBufferWriter<byte> output, VirtioNetState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var w = StateWriter.Begin(output, Kind, Version);
        w.Fixed(state.Mac);
        w.U16(state.Mtu);
        w.U16(state.LinkStatus);
        w.Bool(state.Active);
        w.Bool(state.NeedsReset);
        w.Blob(state.PendingFrame);
        w.U32((uint)state.StashedHeads.Length);
        foreach (ushort head in state.StashedHeads) w.U16(head);
        foreach (long value in state.Counters) w.U64((ulong)value);
        return w.Written;
    }

    public static VirtioNetState Read(ReadOnlySpan<byte> data)
    {
        var r = StateReader.Open(data, Kind, Version);
        byte[] mac = r.Fixed("mac", 6).ToArray();
        ushort mtu = r.U16("mtu");
        ushort status = r.U16("link status");
        bool active = r.Bool("active");
        bool needsReset = r.Bool("needs reset");
        byte[] frame = r.Blob("pending frame", VirtioNet.MaxPacketBytes).ToArray();
        int stashed = r.Count("stashed receive chains", 0, SplitRingLayout.MaxQueueSize);
        var heads = new ushort[stashed];
        for (int i = 0; i < stashed; i++) heads[i] = r.U16("stashed receive chain head");
        var counters = new long[VirtioNetCounters.Count];
        for (int i = 0; i < counters.Length; i++)
        {
            ulong value = r.U64("counter");
            if (value > long.MaxValue) throw r.Invalid("counter", $"{value} is not a count");
            counters[i] = (long)value;
        }
        r.End();
        return new VirtioNetState(mac, mtu, status, active, needsReset, frame, heads, counters);
    }
}
