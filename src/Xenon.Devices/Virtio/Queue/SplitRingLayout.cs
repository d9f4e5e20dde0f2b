namespace Xenon.Devices.Virtio.Queue;

/// <summary>Byte layout of the virtio 1.x split ring (descriptor table, driver area, device area). All fields little-endian.</summary>
public static class SplitRingLayout
{
    public const int MaxQueueSize = 32768;

    /// <summary>Descriptor: addr le64, len le32, flags le16, next le16.</summary>
    public const int DescriptorSize = 16;

    public const ushort DescFlagNext = 1;
    public const ushort DescFlagWrite = 2;
    public const ushort DescFlagIndirect = 4;

    /// <summary>Driver area flag: the driver asks not to be interrupted (ignored when EVENT_IDX is negotiated).</summary>
    public const ushort AvailFlagNoInterrupt = 1;

    /// <summary>Device area flag: the device asks not to be notified (ignored by a driver with EVENT_IDX).</summary>
    public const ushort UsedFlagNoNotify = 1;

    /// <summary>Used element: id le32, len le32.</summary>
    public const int UsedElementSize = 8;

    /// <summary>flags and idx precede the ring array in both driver and device areas.</summary>
    public const int RingHeaderSize = 4;

    public const int DescriptorTableAlignment = 16;
    public const int AvailRingAlignment = 2;
    public const int UsedRingAlignment = 4;

    public static ulong DescriptorTableBytes(int size) => (ulong)size * DescriptorSize;

    /// <summary>flags, idx, ring[size], used_event.</summary>
    public static ulong AvailRingBytes(int size) => RingHeaderSize + 2UL * (ulong)size + 2;

    /// <summary>flags, idx, ring[size] of used elements, avail_event.</summary>
    public static ulong UsedRingBytes(int size) => RingHeaderSize + (ulong)UsedElementSize * (ulong)size + 2;

    public static bool IsValidSize(int size) => size > 0 && size <= MaxQueueSize && (size & (size - 1)) == 0;

    /// <summary>
    /// The spec's vring_need_event: true if the used element at <paramref name="eventIdx"/> was
    /// written while the index moved from <paramref name="oldIdx"/> to <paramref name="newIdx"/>
    /// (eventIdx in [oldIdx, newIdx) modulo 2^16).
    /// </summary>
    public static bool NeedEvent(ushort eventIdx, ushort newIdx, ushort oldIdx)
        => (ushort)(newIdx - eventIdx - 1) < (ushort)(newIdx - oldIdx);
}
