using System.Buffers;
using Xenon.Devices.State;

namespace Xenon.Devices.Virtio.Console;

/// <summary>
/// Binary form of <see cref="VirtioConsoleState"/>, kind "virtio-console". Version 1: active, needs-reset (bool);
/// port count (u32, 1–511), per port: guest ready, guest open, host open reported, transmit pending (bool), transmit
/// head (u16), transmit offset, bytes to guest, bytes from guest, bytes dropped (u64), pending input (u32 ≤ 16 MiB,
/// bytes); pending control messages (u32 ≤ 2060, then id u32, event u16, value u16 each); dropped and invalid
/// control message counts (u64). Counts are below 2^63.
/// </summary>
public static class VirtioConsoleStateCodec
{
    public const string Kind = "virtio-console";
    public const ushort Version = 1;

    /// <summary>The largest input buffer a port backend has (<see cref="UnixSocketPortBackend"/>'s limit).</summary>
    public const int MaxPendingInput = 16 << 20;

    /// <summary>The control queue's capacity for the most ports (4 per port plus 16).</summary>
    public const int MaxPendingControl = 4 * VirtioConsole.MaxPorts + 16;

    public static int Write(IBufferWriter<byte> output, VirtioConsoleState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var w = StateWriter.Begin(output, Kind, Version);
        w.Bool(state.Active);
        w.Bool(state.NeedsReset);
        w.U32((uint)state.Ports.Length);
        foreach (var p in state.Ports)
        {
            w.Bool(p.GuestReady);
            w.Bool(p.GuestOpen);
            w.Bool(p.HostOpenReported);
            w.Bool(p.TransmitPending);
            w.U16(p.TransmitHead);
            w.U64(p.TransmitOffset);
            w.U64((ulong)p.BytesToGuest);
            w.U64((ulong)p.BytesFromGuest);
            w.U64((ulong)p.BytesDropped);
            w.Blob(p.PendingInput);
        }
        w.U32((uint)state.PendingControl.Length);
        foreach (var m in state.PendingControl)
        {
            w.U32(m.Id);
            w.U16((ushort)m.Event);
            w.U16(m.Value);
        }
        w.U64((ulong)state.DroppedControl);
        w.U64((ulong)state.InvalidControl);
        return w.Written;
    }

    public static VirtioConsoleState Read(ReadOnlySpan<byte> data)
    {
        var r = StateReader.Open(data, Kind, Version);
        bool active = r.Bool("active");
        bool needsReset = r.Bool("needs reset");
        var ports = new VirtioConsolePortState[r.Count("port count", 1, VirtioConsole.MaxPorts)];
        for (int i = 0; i < ports.Length; i++)
        {
            ports[i] = new VirtioConsolePortState(
                GuestReady: r.Bool("port guest ready"),
                GuestOpen: r.Bool("port guest open"),
                HostOpenReported: r.Bool("port host open reported"),
                TransmitPending: r.Bool("port transmit pending"),
                TransmitHead: r.U16("port transmit head"),
                TransmitOffset: r.U64("port transmit offset"),
                BytesToGuest: Counter(ref r, "port bytes to guest"),
                BytesFromGuest: Counter(ref r, "port bytes from guest"),
                BytesDropped: Counter(ref r, "port bytes dropped"),
                PendingInput: r.Blob("port pending input", MaxPendingInput).ToArray());
        }
        var control = new ConsoleControlMessage[r.Count("pending control messages", 0, MaxPendingControl)];
        for (int i = 0; i < control.Length; i++)
            control[i] = new ConsoleControlMessage(r.U32("control message id"), (ConsoleControlEvent)r.U16("control message event"), r.U16("control message value"));
        long dropped = Counter(ref r, "dropped control messages");
        long invalid = Counter(ref r, "invalid control messages");
        r.End();
        return new VirtioConsoleState(active, needsReset, ports, control, dropped, invalid);
    }

    private static long Counter(ref StateReader r, string field)
    {
        ulong value = r.U64(field);
        if (value > long.MaxValue) throw r.Invalid(field, $"{value} is not a count");
        return (long)value;
    }
}
