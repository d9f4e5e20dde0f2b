using System.Buffers.Binary;
using Xenon.Devices.Virtio.Queue;

namespace Xenon.Devices.Virtio.Block;

// Request execution: parse the header, check every length and range against the disk, move the
// data, write the status byte. Nothing here allocates or throws on guest input.
public sealed partial class VirtioBlock
{
    // GuestMemory spans are int-sized; a descriptor may be up to 4 GiB, so it is moved in pieces.
    private const int MaxTransferSpan = 1 << 30;

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
    /// chain's <paramref name="segments"/>, starting <paramref name="skip"/> bytes into them. Returns
    /// false on a backend error or when the segments end first; <paramref name="done"/> counts bytes moved.
    /// </summary>
    private bool Transfer(ReadOnlySpan<DescriptorSegment> segments, ulong skip, ulong length, ulong diskOffset, bool toGuest, out ulong done)
    {
        done = 0;
        foreach (var segment in segments)
        {
            if (done == length) break;
            if (skip >= segment.Length)
            {
                skip -= segment.Length;
                continue;
            }
            ulong address = segment.Address + skip;
            ulong remaining = Math.Min(segment.Length - skip, length - done);
            skip = 0;
            while (remaining > 0)
            {
                int n = (int)Math.Min(remaining, MaxTransferSpan);
                // Checked again although the walk validated the segment: guest RAM is the one authority on what may be touched.
                if (!_memory.TryGetSpan(address, n, out var guest)) return false;
                bool ok = toGuest ? _backend.TryRead(diskOffset + done, guest) : _backend.TryWrite(diskOffset + done, guest);
                // Even a failed read may have landed some bytes.
                if (toGuest) _memory.NotifyWritten(address, n);
                if (!ok) return false;
                address += (ulong)n;
                remaining -= (ulong)n;
                done += (ulong)n;
            }
        }
        return done == length;
    }
}
