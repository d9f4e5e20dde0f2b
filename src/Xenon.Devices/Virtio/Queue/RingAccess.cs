using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Xenon.Devices.Virtio.Queue;

/// <summary>
/// The 16-bit ring fields shared with the driver. The indices are published with ordering
/// (acquire on avail.idx, release on used.idx); the rest are plain little-endian accesses.
/// Ring areas are 2-aligned (checked when the queue is enabled), so each field is one atomic access.
/// </summary>
internal static class RingAccess
{
    // The host is x86-64: a native ushort is little-endian, which the ring's le16 fields require. The Slice is the
    // bounds check of the reinterpreted field. Unsafe.As, unlike MemoryMarshal.Cast<byte, ushort>, has no generic
    // body for the ReadyToRun image to lack: Cast was compiled by the JIT on the first kick after a restore.
    public static ushort ReadAcquire(Span<byte> ring, int offset)
        => Volatile.Read(ref Unsafe.As<byte, ushort>(ref ring.Slice(offset, 2)[0]));

    public static void WriteRelease(Span<byte> ring, int offset, ushort value)
        => Volatile.Write(ref Unsafe.As<byte, ushort>(ref ring.Slice(offset, 2)[0]), value);

    public static ushort Read16(Span<byte> ring, int offset) => BinaryPrimitives.ReadUInt16LittleEndian(ring[offset..]);

    public static void Write16(Span<byte> ring, int offset, ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(ring[offset..], value);
}
