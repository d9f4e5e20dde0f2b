namespace Xenon.Devices.Virtio.Queue;

/// <summary>What was wrong with a ring or a descriptor chain the driver offered.</summary>
public enum QueueError
{
    None = 0,

    // Queue configuration (reported when the driver enables the queue or a state is restored).
    InvalidSize,
    MisalignedRing,
    RingOutsideMemory,

    // Ring-level faults: the queue cannot go on; the device should set DEVICE_NEEDS_RESET.
    AvailIndexTooFarAhead,
    HeadIndexOutOfRange,

    // Chain-level faults: the head is known, so the device may complete it with length 0 and go on.
    NextIndexOutOfRange,
    DescriptorLoop,
    BufferOutsideMemory,
    ZeroLengthBuffer,
    ReadableAfterWritable,
    ChainTooLarge,
    IndirectNotNegotiated,
    IndirectWithNext,
    IndirectBadLength,
    IndirectTooLarge,
    IndirectOutsideMemory,
    NestedIndirect,
}
