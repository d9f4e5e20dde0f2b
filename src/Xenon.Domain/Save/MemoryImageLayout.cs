namespace Xenon.Domain.Save;

/// <summary>
/// Where one region's saved image lies in a file and how to check it: chunk <c>i</c> covers guest bytes
/// [i·ChunkSize, min((i+1)·ChunkSize, Size)) of the region, at the same distance from <see cref="ImageOffset"/> in the file.
/// </summary>
public sealed class MemoryImageLayout(int regionIndex, MemoryRegionEntry region, int chunkSize, long imageOffset, ulong dataPages,
    uint[] chunkCrcs, bool[] zeroChunks)
{
    public int RegionIndex { get; } = regionIndex;
    public MemoryRegionEntry Region { get; } = region;
    public int ChunkSize { get; } = chunkSize;
    public long ImageOffset { get; } = imageOffset;
    public ulong DataPages { get; } = dataPages;
    public int ChunkCount => chunkCrcs.Length;

    public uint ChunkCrc(int chunk) => chunkCrcs[chunk];

    public bool IsZeroChunk(int chunk) => zeroChunks[chunk];

    /// <summary>Offset of <paramref name="chunk"/> from the region's start (and from <see cref="ImageOffset"/>).</summary>
    public ulong ChunkOffset(int chunk) => (ulong)chunk * (ulong)ChunkSize;

    public int ChunkLength(int chunk) => (int)Math.Min((ulong)ChunkSize, Region.Size - ChunkOffset(chunk));
}
