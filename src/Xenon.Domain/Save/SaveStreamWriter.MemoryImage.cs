using System.Buffers;
using System.Buffers.Binary;
using Xenon.Machine.Memory;

namespace Xenon.Domain.Save;

// MemoryImage records (docs/save-format.md): each region of guest memory as a page-aligned image in the file, so that a
// restore can map it instead of reading it. Needs a seekable stream that starts at the file's first byte (image
// offsets are file offsets). All-zero pages are skipped (holes: a mostly empty guest makes a small file), and each
// chunk's CRC-32C goes in the record's table, which is written after the image, once the CRCs are known.
public sealed partial class SaveStreamWriter
{
    /// <summary>
    /// Every region of the map as a MemoryImage record followed by its image (a whole save of a paused domain into a
    /// file). Each chunk of <paramref name="chunkSize"/> bytes is copied once into a buffer, checked for zero pages and
    /// checksummed there, and its non-zero pages are written from that copy, so the CRC always covers what was written.
    /// </summary>
    /// <exception cref="NotSupportedException">The stream cannot seek (images are for files; a socket takes MemoryPages).</exception>
    public void WriteMemoryImages(GuestMemory memory, int chunkSize = SaveFormat.DefaultImageChunkSize)
    {
        ArgumentNullException.ThrowIfNull(memory);
        var regions = _regions ?? throw new InvalidOperationException("MemoryImage needs the MemoryRegionMap first");
        RequireOpen();
        if (_wrotePages) throw new InvalidOperationException("a stream holds its memory either as MemoryImage or as MemoryPages records, not both");
        if (_wroteImages) throw new InvalidOperationException("the memory images are written once");
        if (chunkSize is < SaveFormat.MinImageChunkSize or > SaveFormat.MaxImageChunkSize || !int.IsPow2(chunkSize))
            throw new ArgumentOutOfRangeException(nameof(chunkSize), chunkSize, "a power of two from 4 KiB to 64 MiB");
        if (!_stream.CanSeek) throw new NotSupportedException("memory images need a seekable file; a stream that cannot seek takes MemoryPages");
        FlushStaging();
        if (_stream.Position != _written)
            throw new NotSupportedException("memory images need a stream that starts at the file's first byte (their offsets are file offsets)");
        _wroteImages = true;
        var buffer = ArrayPool<byte>.Shared.Rent(chunkSize);
        try
        {
            for (int i = 0; i < regions.Length; i++) WriteImage(memory, i, regions[i], chunkSize, buffer);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void WriteImage(GuestMemory memory, int index, MemoryRegionEntry region, int chunkSize, byte[] buffer)
    {
        if (!memory.IsValidRange(region.Gpa, region.Size))
            throw new ArgumentException($"region {index} (0x{region.Gpa:x}+0x{region.Size:x}) is not guest memory", nameof(memory));
        long chunks = (long)((region.Size + (ulong)chunkSize - 1) / (ulong)chunkSize);
        ulong payload = SaveFormat.ImageRecordFixedSize + (ulong)chunks * SaveFormat.ImageChunkEntrySize;
        if (chunks > int.MaxValue || payload > SaveReaderLimits.Default.MaxRecordLength)
            throw new ArgumentException($"region {index} needs {chunks} chunks of {chunkSize} bytes: the table would exceed the record limit", nameof(chunkSize));
        long recordStart = _written;
        long recordEnd = recordStart + SaveFormat.RecordHeaderSize + (long)payload + SaveFormat.CrcSize;
        long imageOffset = AlignUp(recordEnd, SaveFormat.ImageAlignment);
        var table = ArrayPool<ulong>.Shared.Rent((int)chunks);
        try
        {
            ulong dataPages = 0;
            for (int c = 0; c < chunks; c++)
            {
                ulong offset = (ulong)c * (ulong)chunkSize;
                int length = (int)Math.Min((ulong)chunkSize, region.Size - offset);
                var source = memory.GetSpan(region.Gpa + offset, length);
                // Most of an idle guest is zero: such a chunk is recognised in place, with no copy and nothing written.
                if (source.IndexOfAnyExcept((byte)0) < 0)
                {
                    table[c] = (ulong)SaveFormat.ImageChunkZero << 32;
                    continue;
                }
                var chunk = buffer.AsSpan(0, length);
                source.CopyTo(chunk);
                int pages = WriteDataRuns(chunk, imageOffset + (long)offset);
                dataPages += (ulong)pages;
                // entry: CRC in the low half, kind in the high half (little-endian u32 CRC, then u32 kind)
                table[c] = pages == 0 ? (ulong)SaveFormat.ImageChunkZero << 32 : Crc32C.Compute(chunk);
            }

            _stream.Position = recordStart;
            BeginRecord(SaveRecordType.MemoryImage, payload);
            Span<byte> field = stackalloc byte[SaveFormat.ImageRecordFixedSize];
            BinaryPrimitives.WriteUInt32LittleEndian(field, (uint)index);
            BinaryPrimitives.WriteUInt32LittleEndian(field[4..], (uint)chunkSize);
            BinaryPrimitives.WriteUInt64LittleEndian(field[8..], (ulong)imageOffset);
            BinaryPrimitives.WriteUInt64LittleEndian(field[16..], dataPages);
            BinaryPrimitives.WriteUInt32LittleEndian(field[24..], (uint)chunks);
            BinaryPrimitives.WriteUInt32LittleEndian(field[28..], 0);
            Put(field);
            for (int c = 0; c < chunks; c++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(field, table[c]);
                Put(field[..SaveFormat.ImageChunkEntrySize]);
            }
            EndRecord();
            FlushStaging();
            // Padding up to the image: zero bytes, which the reader checks.
            Span<byte> zeros = stackalloc byte[SaveFormat.ImageAlignment];
            zeros.Clear();
            _stream.Write(zeros[..(int)(imageOffset - recordEnd)]);
            long imageEnd = imageOffset + (long)region.Size;
            // A region that ends in zero pages ends in a hole: the file must still reach the image's end.
            if (_stream.Length < imageEnd) _stream.SetLength(imageEnd);
            _stream.Position = imageEnd;
            _written = imageEnd;
            _dataPages += dataPages;
            _zeroPages += region.PfnCount - dataPages;
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(table);
        }
    }

    /// <summary>Writes the runs of non-zero pages of <paramref name="chunk"/> at <paramref name="fileOffset"/> onwards,
    /// seeking over zero pages; returns how many pages had data.</summary>
    private int WriteDataRuns(ReadOnlySpan<byte> chunk, long fileOffset)
    {
        int pages = chunk.Length / SaveFormat.PageSize, data = 0, runStart = -1;
        for (int p = 0; p <= pages; p++)
        {
            bool zero = p == pages || chunk.Slice(p * SaveFormat.PageSize, SaveFormat.PageSize).IndexOfAnyExcept((byte)0) < 0;
            if (!zero)
            {
                data++;
                if (runStart < 0) runStart = p;
                continue;
            }
            if (runStart < 0) continue;
            _stream.Position = fileOffset + (long)runStart * SaveFormat.PageSize;
            _stream.Write(chunk.Slice(runStart * SaveFormat.PageSize, (p - runStart) * SaveFormat.PageSize));
            runStart = -1;
        }
        return data;
    }

    private static long AlignUp(long value, int alignment) => (value + alignment - 1) & ~(long)(alignment - 1);
}
