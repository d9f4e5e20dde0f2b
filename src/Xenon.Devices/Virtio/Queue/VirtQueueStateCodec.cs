using Xenon.Devices.State;

namespace Xenon.Devices.Virtio.Queue;

/// <summary>
/// The fields of one <see cref="VirtQueueState"/> inside a transport's state blob (layout version 1 of "virtio-pci"):
/// size (u16), ready (bool), descriptor table, avail ring, used ring (u64 each), next avail, next used (u16 each),
/// event idx, indirect descriptors, notifications enabled, signalled-used valid (bool each), signalled used (u16).
/// </summary>
/// <remarks>Only the syntax is checked here; <see cref="VirtQueue.SetState"/> checks the meaning (size, rings in guest RAM, in-flight count).</remarks>
public static class VirtQueueStateCodec
{
    public static void Write(ref StateWriter w, VirtQueueState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        w.U16(state.Size);
        w.Bool(state.Ready);
        w.U64(state.DescriptorTable);
        w.U64(state.AvailRing);
        w.U64(state.UsedRing);
        w.U16(state.NextAvail);
        w.U16(state.NextUsed);
        w.Bool(state.EventIdx);
        w.Bool(state.IndirectDescriptors);
        w.Bool(state.NotificationsEnabled);
        w.Bool(state.SignalledUsed.HasValue);
        w.U16(state.SignalledUsed.GetValueOrDefault());
    }

    public static VirtQueueState Read(ref StateReader r)
    {
        ushort size = r.U16("queue size");
        bool ready = r.Bool("queue ready");
        ulong desc = r.U64("queue descriptor table");
        ulong avail = r.U64("queue avail ring");
        ulong used = r.U64("queue used ring");
        ushort nextAvail = r.U16("queue next avail");
        ushort nextUsed = r.U16("queue next used");
        bool eventIdx = r.Bool("queue event idx");
        bool indirect = r.Bool("queue indirect descriptors");
        bool notifications = r.Bool("queue notifications enabled");
        bool signalledValid = r.Bool("queue signalled used valid");
        ushort signalled = r.U16("queue signalled used");
        return new VirtQueueState(size, ready, desc, avail, used, nextAvail, nextUsed, eventIdx, indirect, notifications,
            signalledValid ? signalled : null);
    }
}
