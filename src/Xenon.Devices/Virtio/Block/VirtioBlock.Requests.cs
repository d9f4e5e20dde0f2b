using System.Buffers.Binary;
using Xenon.Devices.Virtio.Queue;
using Xenon.Kvm;
using Xenon.Kvm.Net;

namespace Xenon.Devices.Virtio.Block;

// Request execution: parse the header, check every length and range against the disk, move the
// data, write the status byte. Nothing here allocates or throws on guest input.
public sealed partial class VirtioBlock
{
    // A descriptor may be up to 4 GiB; pieces stay int-sized for GuestMemory's write notification.
    private const ulong MaxTransferSpan = 1 << 30;

    // One request's buffers as host iovecs, and their guest addresses (for the write notification after a read). Only
    // the I/O thread serving the queue uses them (under _gate), so one set serves every request.
    private readonly IoVector[] _vectors = new IoVector[VectoredFileIo.MaxVectorsPerCall];
    private readonly ulong[] _vectorAddresses = new ulong[VectoredFileIo.MaxVectorsPerCall];

    /// <summary>Serves one request and returns the bytes written into the chain's buffers (data plus status).</summary>
    private uint Execute(DescriptorChain chain)
    {
        // The status is the chain's last writable byte; without one nothing can be reported.
        if (chain.WritableBytes == 0) return 0;
        ulong statusOffset = chain.WritableBytes - 1;
        ulong dataWritten = 0;
        BlockStatus status;

        Span<byte> header = stackalloc byte[BlockRequestLayout.HeaderSize];
        if (chain.CopyFromReadable(header) < BlockRequestLayout.HeaderSize)
        {
            status = BlockStatus.IoError;
        }
        else
        {
            var type = (BlockRequestType)BinaryPrimitives.ReadUInt32LittleEndian(header[BlockRequestLayout.HeaderTypeOffset..]);
            ulong sector = BinaryPrimitives.ReadUInt64LittleEndian(header[BlockRequestLayout.HeaderSectorOffset..]);
            status = type switch
            {
                BlockRequestType.In => ExecuteRead(chain, sector, dataLength: statusOffset, out dataWritten),
                BlockRequestType.Out => ExecuteWrite(chain, sector),
                BlockRequestType.Flush => _backend.TryFlush() ? BlockStatus.Ok : BlockStatus.IoError,
                BlockRequestType.GetId => ExecuteGetId(chain, dataLength: statusOffset, out dataWritten),
                BlockRequestType.Discard => ExecuteDiscardOrWriteZeroes(chain, writeZeroes: false),
                BlockRequestType.WriteZeroes => ExecuteDiscardOrWriteZeroes(chain, writeZeroes: true),
                _ => BlockStatus.Unsupported,
            };
        }

        Span<byte> statusByte = [(byte)status];
        ulong total = dataWritten + (ulong)chain.CopyToWritable(statusByte, statusOffset);
        return (uint)Math.Min(total, uint.MaxValue);
    }

    private BlockStatus ExecuteRead(DescriptorChain chain, ulong sector, ulong dataLength, out ulong dataWritten)
    {
        dataWritten = 0;
        if (!IsValidDataRange(sector, dataLength)) return BlockStatus.IoError;
        bool ok = Transfer(chain.Writable, skip: 0, dataLength, sector << BlockRequestLayout.SectorShift, toGuest: true, out dataWritten);
        if (ok) Counters.CountRead(dataLength);
        return ok ? BlockStatus.Ok : BlockStatus.IoError;
    }

    private BlockStatus ExecuteWrite(DescriptorChain chain, ulong sector)
    {
        // As QEMU: a write to a read-only disk is an I/O error, not an unsupported request.
        if (_backend.IsReadOnly) return BlockStatus.IoError;
        ulong dataLength = chain.ReadableBytes - BlockRequestLayout.HeaderSize;
        if (!IsValidDataRange(sector, dataLength)) return BlockStatus.IoError;
        bool ok = Transfer(chain.Readable, skip: BlockRequestLayout.HeaderSize, dataLength, sector << BlockRequestLayout.SectorShift, toGuest: false, out _);
        if (ok) Counters.CountWrite(dataLength);
        return ok ? BlockStatus.Ok : BlockStatus.IoError;
    }

    private BlockStatus ExecuteGetId(DescriptorChain chain, ulong dataLength, out ulong dataWritten)
    {
        dataWritten = 0;
        if (dataLength == 0) return BlockStatus.IoError;
        int n = (int)Math.Min(dataLength, BlockRequestLayout.IdBytes);
        dataWritten = (ulong)chain.CopyToWritable(_id.AsSpan(0, n));
        return BlockStatus.Ok;
    }

    private BlockStatus ExecuteDiscardOrWriteZeroes(DescriptorChain chain, bool writeZeroes)
    {
        ulong feature = writeZeroes ? VirtioBlockFeatures.WriteZeroes : VirtioBlockFeatures.Discard;
        if ((_negotiated & feature) == 0) return BlockStatus.Unsupported;
        if (_backend.IsReadOnly) return BlockStatus.IoError;

        ulong payload = chain.ReadableBytes - BlockRequestLayout.HeaderSize;
        if (payload == 0 || payload % BlockRequestLayout.SegmentSize != 0) return BlockStatus.IoError;
        // max_discard_seg / max_write_zeroes_seg are 1.
        if (payload != BlockRequestLayout.SegmentSize) return BlockStatus.Unsupported;

        Span<byte> segment = stackalloc byte[BlockRequestLayout.SegmentSize];
        if (chain.CopyFromReadable(segment, BlockRequestLayout.HeaderSize) < segment.Length) return BlockStatus.IoError;
        ulong sector = BinaryPrimitives.ReadUInt64LittleEndian(segment[BlockRequestLayout.SegmentSectorOffset..]);
        uint sectors = BinaryPrimitives.ReadUInt32LittleEndian(segment[BlockRequestLayout.SegmentCountOffset..]);
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(segment[BlockRequestLayout.SegmentFlagsOffset..]);

        // The spec: unknown flags, or UNMAP on a discard, make the request unsupported.
        uint allowedFlags = writeZeroes ? BlockRequestLayout.SegmentFlagUnmap : 0;
        if ((flags & ~allowedFlags) != 0) return BlockStatus.Unsupported;
        if (sectors > (writeZeroes ? Config.MaxWriteZeroesSectors : Config.MaxDiscardSectors)) return BlockStatus.IoError;
        if (!IsValidSectorRange(sector, sectors)) return BlockStatus.IoError;

        ulong offset = sector << BlockRequestLayout.SectorShift;
        ulong length = (ulong)sectors << BlockRequestLayout.SectorShift;
        bool ok = writeZeroes ? _backend.TryWriteZeroes(offset, length) : _backend.TryDiscard(offset, length);
        return ok ? BlockStatus.Ok : BlockStatus.IoError;
    }

    /// <summary>A data transfer must be whole sectors and lie inside the disk.</summary>
    private bool IsValidDataRange(ulong sector, ulong dataLength)
        => dataLength % BlockRequestLayout.SectorSize == 0 && IsValidSectorRange(sector, dataLength >> BlockRequestLayout.SectorShift);

    private bool IsValidSectorRange(ulong sector, ulong sectors)
    {
        ulong capacity = Config.CapacitySectors;
        return sector <= capacity && sectors <= capacity - sector;
    }

    /// <summary>
    /// Moves <paramref name="length"/> bytes between the disk at <paramref name="diskOffset"/> and the
    /// chain's <paramref name="segments"/>, starting <paramref name="skip"/> bytes into them, as one vectored
    /// backend call (more only past <see cref="VectoredFileIo.MaxVectorsPerCall"/> pieces). Returns false on a
    /// backend error or when the segments end first; <paramref name="done"/> counts bytes moved by calls that succeeded.
    /// </summary>
    private bool Transfer(ReadOnlySpan<DescriptorSegment> segments, ulong skip, ulong length, ulong diskOffset, bool toGuest, out ulong done)
    {
        done = 0;
        int count = 0;
        ulong batched = 0;
        foreach (var segment in segments)
        {
            if (done + batched == length) break;
            if (skip >= segment.Length)
            {
                skip -= segment.Length;
                continue;
            }
            ulong address = segment.Address + skip;
            ulong remaining = Math.Min(segment.Length - skip, length - done - batched);
            skip = 0;
            while (remaining > 0)
            {
                ulong n = Math.Min(remaining, MaxTransferSpan);
                // Translated again although the walk validated the segment: guest RAM is the one authority on what
                // the backend may touch, and the host address comes from this very bounds check.
                if (!_memory.TryTranslate(address, n, out nint host)) return false;
                _vectors[count] = new IoVector(host, (nuint)n);
                _vectorAddresses[count] = address;
                count++;
                batched += n;
                address += n;
                remaining -= n;
                if (count == _vectors.Length)
                {
                    if (!SubmitVectors(count, diskOffset + done, toGuest)) return false;
                    done += batched;
                    count = 0;
                    batched = 0;
                }
            }
        }
        if (count > 0)
        {
            if (!SubmitVectors(count, diskOffset + done, toGuest)) return false;
            done += batched;
        }
        return done == length;
    }

    private bool SubmitVectors(int count, ulong diskOffset, bool toGuest)
    {
        var vectors = _vectors.AsSpan(0, count);
        bool ok = toGuest ? _backend.TryReadVectored(diskOffset, vectors) : _backend.TryWriteVectored(diskOffset, vectors);
        Counters.CountTransfer(count, 1);
        // Even a failed read may have landed some bytes.
        if (toGuest)
        {
            for (int i = 0; i < count; i++) _memory.NotifyWritten(_vectorAddresses[i], (int)_vectors[i].Length);
        }
        return ok;
    }
}
