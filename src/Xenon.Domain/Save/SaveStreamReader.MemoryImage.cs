using System.Buffers.Binary;

namespace Xenon.Domain.Save;

// MemoryImage records (version 2, files only): the record is checked here and the image that follows it is skipped
// without being read; whoever restores maps it and verifies its chunks against the table later. The file must reach
// the image's end (a truncated file is refused here, before anything runs).
public sealed partial class SaveStreamReader
{
    private MemoryRegionEntry CheckImage(RecordContext c, ReadOnlySpan<byte> p)
    {
        const int head = -SaveFormat.RecordHeaderSize;
        if (_version < 2) throw c.Error(head, "type", $"MemoryImage records need format version 2; this stream is version {_version}");
        var regions = _regions ?? throw c.Error(head, "type", "MemoryImage before the MemoryRegionMap");
        if (_sawPages) throw c.Error(head, "type", "MemoryImage in a stream whose memory is in MemoryPages records");
        if (p.Length < SaveFormat.ImageRecordFixedSize)
            throw c.Error(0, "region index", $"payload of {p.Length} bytes is shorter than its {SaveFormat.ImageRecordFixedSize}-byte head");
        uint index = BinaryPrimitives.ReadUInt32LittleEndian(p);
        if (index >= (uint)regions.Length) throw c.Error(0, "region index", $"{index} is not below the map's {regions.Length} regions");
        _imaged ??= new bool[regions.Length];
        if (_imaged[index]) throw c.Error(0, "region index", $"region {index} has a second MemoryImage record");
        var region = regions[index];
        uint chunkSize = BinaryPrimitives.ReadUInt32LittleEndian(p[4..]);
        if (chunkSize is < SaveFormat.MinImageChunkSize or > SaveFormat.MaxImageChunkSize || !uint.IsPow2(chunkSize))
            throw c.Error(4, "chunk size", $"{chunkSize} is not a power of two from {SaveFormat.MinImageChunkSize} to {SaveFormat.MaxImageChunkSize}");
        if (BinaryPrimitives.ReadUInt32LittleEndian(p[28..]) != 0) throw c.Error(28, "reserved", "must be zero");
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(p[24..]);
        ulong expectedCount = (region.Size + chunkSize - 1) / chunkSize;
        if (count != expectedCount) throw c.Error(24, "chunk count", $"{count}, but region {index} (0x{region.Size:x} bytes) has {expectedCount} chunks of {chunkSize}");
        if ((ulong)p.Length != SaveFormat.ImageRecordFixedSize + (ulong)count * SaveFormat.ImageChunkEntrySize)
            throw c.Error(-8, "length", $"{p.Length} bytes, but {count} chunks take {SaveFormat.ImageRecordFixedSize + (ulong)count * SaveFormat.ImageChunkEntrySize}");
        long recordEnd = _offset;
        long expectedOffset = (recordEnd + SaveFormat.ImageAlignment - 1) & ~(long)(SaveFormat.ImageAlignment - 1);
        ulong imageOffset = BinaryPrimitives.ReadUInt64LittleEndian(p[8..]);
        if (imageOffset != (ulong)expectedOffset)
            throw c.Error(8, "image offset", $"{imageOffset}; the image must start at {expectedOffset}, the first multiple of {SaveFormat.ImageAlignment} after the record");
        ulong dataChunkPages = 0, dataChunks = 0;
        for (int i = 0; i < (int)count; i++)
        {
            int at = SaveFormat.ImageRecordFixedSize + SaveFormat.ImageChunkEntrySize * i;
            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(p[at..]);
            uint kind = BinaryPrimitives.ReadUInt32LittleEndian(p[(at + 4)..]);
            if (kind > SaveFormat.ImageChunkZero) throw c.Error(at + 4, "chunk kind", $"chunk {i} has unknown kind {kind}");
            if (kind == SaveFormat.ImageChunkZero)
            {
                if (crc != 0) throw c.Error(at, "chunk crc", $"chunk {i} is all zero, its CRC field must be 0, not 0x{crc:x8}");
                continue;
            }
            dataChunks++;
            dataChunkPages += (Math.Min(chunkSize, region.Size - (ulong)i * chunkSize)) >> SaveFormat.PageShift;
        }
        ulong dataPages = BinaryPrimitives.ReadUInt64LittleEndian(p[16..]);
        if (dataPages < dataChunks || dataPages > dataChunkPages)
            throw c.Error(16, "data pages", $"{dataPages}, but the {dataChunks} data chunks hold {dataChunks}–{dataChunkPages} non-zero pages");

        SkipImage(c, index, region, recordEnd, expectedOffset);
        _imaged[index] = true;
        _dataPages += dataPages;
        _zeroPages += region.PfnCount - dataPages;
        return region;
    }

    /// <summary>Checks the padding before the image and seeks over the image; refuses a file that ends inside it.</summary>
    private void SkipImage(RecordContext c, uint index, MemoryRegionEntry region, long recordEnd, long imageOffset)
    {
        Span<byte> padding = stackalloc byte[SaveFormat.ImageAlignment];
        var pad = padding[..(int)(imageOffset - recordEnd)];
        ReadExactly(pad, "image padding", c.Index, c.Type);
        if (pad.IndexOfAnyExcept((byte)0) is int nonZero and >= 0)
            throw new SaveFormatException(recordEnd + nonZero, c.Index, c.Type, "image padding", "must be zero");
        if (!_stream.CanSeek)
            throw c.Error(-SaveFormat.RecordHeaderSize, "type", "a MemoryImage is read from a file; this stream cannot skip its image (a file record sent over a socket?)");
        if (_stream.Position != _offset)
            throw c.Error(8, "image offset", "image offsets are file offsets, but the stream does not start at the file's first byte");
        long imageEnd = imageOffset + (long)region.Size;
        long length = _stream.Length;
        if (length < imageEnd)
            throw new SaveFormatException(length, c.Index, c.Type, "image",
                $"truncated: the file ends at {length}, inside the image of region {index} (file offsets {imageOffset}–{imageEnd})");
        _stream.Seek(imageEnd, SeekOrigin.Begin);
        _offset = imageEnd;
    }
}
