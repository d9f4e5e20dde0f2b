using System.Buffers.Binary;

namespace Xenon.Domain.Save;

/// <summary>A validated MemoryImage record: which region, where its image lies in the file, and the chunk table.</summary>
public readonly ref struct MemoryImageView
{
    private readonly ReadOnlySpan<byte> _payload;

    internal MemoryImageView(ReadOnlySpan<byte> payload, MemoryRegionEntry region)
    {
        _payload = payload;
        Region = region;
    }

    /// <summary>Index of the region in the stream's MemoryRegionMap.</summary>
    public int RegionIndex => (int)BinaryPrimitives.ReadUInt32LittleEndian(_payload);

    /// <summary>The region itself (from the map).</summary>
    public MemoryRegionEntry Region { get; }

    /// <summary>Bytes of guest memory each chunk covers (the last chunk may be shorter).</summary>
    public int ChunkSize => (int)BinaryPrimitives.ReadUInt32LittleEndian(_payload[4..]);

    /// <summary>File offset of the image's first byte (a multiple of <see cref="SaveFormat.ImageAlignment"/>).</summary>
    public long ImageOffset => (long)BinaryPrimitives.ReadUInt64LittleEndian(_payload[8..]);

    /// <summary>Pages of the image that are not all zero.</summary>
    public ulong DataPages => BinaryPrimitives.ReadUInt64LittleEndian(_payload[16..]);

    public int ChunkCount => (int)BinaryPrimitives.ReadUInt32LittleEndian(_payload[24..]);

    public uint ChunkCrc(int chunk) => BinaryPrimitives.ReadUInt32LittleEndian(Entry(chunk));

    /// <summary>True for an all-zero chunk: its bytes in the file are not read.</summary>
    public bool IsZeroChunk(int chunk) => BinaryPrimitives.ReadUInt32LittleEndian(Entry(chunk)[4..]) == SaveFormat.ImageChunkZero;

    /// <summary>A copy that outlives the reader's buffer (to map the image and verify it after the restore).</summary>
    public MemoryImageLayout ToLayout()
    {
        var crcs = new uint[ChunkCount];
        var zero = new bool[ChunkCount];
        for (int i = 0; i < crcs.Length; i++)
        {
            crcs[i] = ChunkCrc(i);
            zero[i] = IsZeroChunk(i);
        }
        return new MemoryImageLayout(RegionIndex, Region, ChunkSize, ImageOffset, DataPages, crcs, zero);
    }

    private ReadOnlySpan<byte> Entry(int chunk)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(chunk);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(chunk, ChunkCount);
        return _payload.Slice(SaveFormat.ImageRecordFixedSize + SaveFormat.ImageChunkEntrySize * chunk, SaveFormat.ImageChunkEntrySize);
    }
}
