namespace Xenon.Devices.Virtio.Queue;

/// <summary>
/// A failed pop. <see cref="HeadIndex"/> is the chain's head when it was a valid descriptor index
/// (the device may then return it used with length 0 and carry on), or -1 when the ring itself is
/// broken and the device should set DEVICE_NEEDS_RESET. A plain struct so a failure allocates nothing.
/// </summary>
public readonly record struct QueueFault(QueueError Error, int HeadIndex, ulong Detail)
{
    public static QueueFault None => default;

    public bool IsError => Error != QueueError.None;

    /// <summary>True when the fault concerns one request only and the ring can still be used.</summary>
    public bool CanCompleteHead => Error != QueueError.None && HeadIndex >= 0;

    /// <summary>A sentence for logs; allocates, so call it only when reporting.</summary>
    public string Describe() => Error switch
    {
        QueueError.None => "no error",
        QueueError.InvalidSize => $"queue size {Detail} is not a power of two in 1..{SplitRingLayout.MaxQueueSize} (or exceeds the device maximum)",
        QueueError.MisalignedRing => $"ring area at 0x{Detail:x} is not aligned as the split ring requires",
        QueueError.RingOutsideMemory => $"ring area at 0x{Detail:x} is not inside guest RAM",
        QueueError.AvailIndexTooFarAhead => $"avail.idx moved {Detail} entries ahead, more than the queue size",
        QueueError.HeadIndexOutOfRange => $"avail ring offers head descriptor {Detail}, beyond the queue size",
        QueueError.NextIndexOutOfRange => $"chain at head {HeadIndex}: next index {Detail} is beyond its table",
        QueueError.DescriptorLoop => $"chain at head {HeadIndex}: more than {Detail} descriptors (a loop)",
        QueueError.BufferOutsideMemory => $"chain at head {HeadIndex}: buffer at 0x{Detail:x} is not inside guest RAM",
        QueueError.ZeroLengthBuffer => $"chain at head {HeadIndex}: zero-length buffer at 0x{Detail:x}",
        QueueError.ReadableAfterWritable => $"chain at head {HeadIndex}: device-readable buffer at 0x{Detail:x} after a device-writable one",
        QueueError.ChainTooLarge => $"chain at head {HeadIndex}: total length exceeds {Detail} bytes",
        QueueError.IndirectNotNegotiated => $"chain at head {HeadIndex}: indirect descriptor without VIRTIO_F_INDIRECT_DESC",
        QueueError.IndirectWithNext => $"chain at head {HeadIndex}: indirect descriptor also has NEXT set",
        QueueError.IndirectBadLength => $"chain at head {HeadIndex}: indirect table length {Detail} is not a non-zero multiple of 16",
        QueueError.IndirectTooLarge => $"chain at head {HeadIndex}: indirect table of {Detail} entries exceeds the limit",
        QueueError.IndirectOutsideMemory => $"chain at head {HeadIndex}: indirect table at 0x{Detail:x} is not inside guest RAM",
        QueueError.NestedIndirect => $"chain at head {HeadIndex}: indirect descriptor inside an indirect table",
        _ => $"queue error {Error}",
    };

    public override string ToString() => $"{Error}: {Describe()}";
}
