using Xenon.Kvm.Net;

namespace Xenon.Devices.Virtio.Block;

/// <summary>
/// Where a virtual disk's bytes live (a raw image file today). Offsets and lengths are in bytes and
/// already bounds-checked by the device against <see cref="SizeBytes"/>. Every method returns
/// false on a host I/O error (the device reports VIRTIO_BLK_S_IOERR) instead of throwing, and
/// none allocates per call.
/// </summary>
public interface IBlockBackend : IDisposable
{
    /// <summary>The disk size in bytes, fixed when the backend was opened.</summary>
    ulong SizeBytes { get; }

    bool IsReadOnly { get; }

    bool TryRead(ulong offset, Span<byte> destination);

    bool TryWrite(ulong offset, ReadOnlySpan<byte> source);

    /// <summary>
    /// Reads into <paramref name="buffers"/> in order, starting at <paramref name="offset"/>, as one request (a guest
    /// request's data is scattered over page-sized buffers: one host call for all of them, not one each). The buffers are
    /// host addresses the device took from GuestMemory's bounds check; at most
    /// <see cref="Xenon.Kvm.VectoredFileIo.MaxVectorsPerCall"/> of them, none empty.
    /// </summary>
    bool TryReadVectored(ulong offset, ReadOnlySpan<IoVector> buffers);

    /// <summary>Writes <paramref name="buffers"/> in order at <paramref name="offset"/> (as <see cref="TryReadVectored"/>).</summary>
    bool TryWriteVectored(ulong offset, ReadOnlySpan<IoVector> buffers);

    /// <summary>Makes every completed write durable (fsync).</summary>
    bool TryFlush();

    /// <summary>The guest no longer needs these bytes; afterwards they read as either old data or zeroes.</summary>
    bool TryDiscard(ulong offset, ulong length);

    /// <summary>Afterwards these bytes read as zeroes.</summary>
    bool TryWriteZeroes(ulong offset, ulong length);
}
