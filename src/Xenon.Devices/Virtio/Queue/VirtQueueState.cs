namespace Xenon.Devices.Virtio.Queue;

/// <summary>
/// Everything a split virtqueue holds outside guest memory, for save/restore and migration.
/// <see cref="SignalledUsed"/> is the used index at the last interrupt decision (null before the first).
/// </summary>
public sealed record VirtQueueState(
    ushort Size,
    bool Ready,
    ulong DescriptorTable,
    ulong AvailRing,
    ulong UsedRing,
    ushort NextAvail,
    ushort NextUsed,
    bool EventIdx,
    bool IndirectDescriptors,
    bool NotificationsEnabled,
    ushort? SignalledUsed);
