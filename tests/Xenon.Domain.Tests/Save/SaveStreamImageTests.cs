using System.Buffers.Binary;
using Xenon.Domain.Save;
using Xenon.Machine.Memory;

namespace Xenon.Domain.Tests.Save;

/// <summary>MemoryImage records (format version 2): each region as a page-aligned image in the file, zero pages as
/// holes, a CRC-32C per chunk in the record's table; the reader checks the record and skips the image.</summary>
public sealed class SaveStreamImageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("xenon-image-").FullName;
    private string FilePath => Path.Combine(_dir, "guest.save");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Writes SaveStreams.Memory() (two 64 KiB regions) as images with 16 KiB chunks.</summary>
    private byte[] WriteImages(GuestMemory memory, int chunkSize = 16 << 10, Action<SaveStreamWriter>? beforeEnd = null)
    {
        using (var file = new FileStream(FilePath, FileMode.Create, FileAccess.ReadWrite))
        using (var w = new SaveStreamWriter(file, SaveStreams.Header))
        {
            w.WriteDomainConfig(SaveStreams.ConfigJson);
            w.WriteMemoryRegionMap(memory);
            w.WriteMemoryImages(memory, chunkSize);
            w.WriteVcpuState(0, "vcpu-zero"u8);
            beforeEnd?.Invoke(w);
            w.WriteEnd();
        }
        return File.ReadAllBytes(FilePath);
    }

    private static List<MemoryImageLayout> ReadLayouts(Stream stream, out SaveTotals totals)
    {
        using var reader = new SaveStreamReader(stream);
        var layouts = new List<MemoryImageLayout>();
        while (reader.TryReadRecord(out var r))
            if (r.Type == SaveRecordType.MemoryImage) layouts.Add(r.MemoryImage.ToLayout());
        reader.ExpectEndOfStream();
        totals = reader.Totals;
        Assert.Equal(2u, reader.FormatVersion);
        Assert.True(reader.HasMemoryImages);
        return layouts;
    }

    [Fact]
    public void EachRegionIsAPageAlignedImageWithAChunkTableThatMatchesItsBytes()
    {
        using var memory = SaveStreams.Memory();
        var bytes = WriteImages(memory);
        using var stream = new MemoryStream(bytes);
        var layouts = ReadLayouts(stream, out var totals);

        Assert.Equal(2, layouts.Count);
        Assert.Equal(3UL, totals.DataPages);   // 0x1000, 0x3000 and 0x10ff00's page
        Assert.Equal(29UL, totals.ZeroPages);
        for (int i = 0; i < 2; i++)
        {
            var image = layouts[i];
            var region = memory.Regions[i];
            Assert.Equal(i, image.RegionIndex);
            Assert.Equal(0, image.ImageOffset % SaveFormat.ImageAlignment);
            Assert.Equal(4, image.ChunkCount);
            var fileImage = bytes.AsSpan((int)image.ImageOffset, (int)region.Size);
            Assert.True(fileImage.SequenceEqual(memory.GetSpan(region.GuestAddress, (int)region.Size)));
            for (int c = 0; c < image.ChunkCount; c++)
            {
                var chunk = fileImage.Slice((int)image.ChunkOffset(c), image.ChunkLength(c));
                bool zero = chunk.IndexOfAnyExcept((byte)0) < 0;
                Assert.Equal(zero, image.IsZeroChunk(c));
                Assert.Equal(zero ? 0u : Crc32C.Compute(chunk), image.ChunkCrc(c));
            }
        }
        Assert.Equal([false, true, true, true], Enumerable.Range(0, 4).Select(layouts[0].IsZeroChunk));
        Assert.Equal([true, true, true, false], Enumerable.Range(0, 4).Select(layouts[1].IsZeroChunk));
    }

    [Fact]
    public void ZeroPagesAreHolesSoAnEmptyGuestMakesASmallFile()
    {
        const ulong size = 64UL << 20;
        using var memory = GuestMemory.Create([(0, size)]);
        memory.GetSpan(0x5000, 4096).Fill(7);
        WriteImages(memory, SaveFormat.DefaultImageChunkSize);
        var info = new FileInfo(FilePath);
        Assert.True(info.Length > (long)size, "the apparent size covers the whole image");
        long allocated = AllocatedBytes(FilePath);
        Assert.True(allocated < 1 << 20, $"{allocated} bytes allocated for a guest with one data page");
    }

    [Fact]
    public void ALastChunkShorterThanTheChunkSizeIsCovered()
    {
        using var memory = GuestMemory.Create([(0, 0x5000)]);
        memory.GetSpan(0x4000, 4096).Fill(9);
        WriteImages(memory, chunkSize: 0x4000);
        using var stream = File.OpenRead(FilePath);
        var image = Assert.Single(ReadLayouts(stream, out _));
        Assert.Equal(2, image.ChunkCount);
        Assert.Equal(0x1000, image.ChunkLength(1));
        Assert.True(image.IsZeroChunk(0));
        Assert.Equal(Crc32C.Compute(memory.GetSpan(0x4000, 0x1000)), image.ChunkCrc(1));
    }

    [Fact]
    public void AFileCutInsideAnImageIsRefusedAsTruncated()
    {
        using var memory = SaveStreams.Memory();
        var bytes = WriteImages(memory);
        using var stream = new MemoryStream(bytes);
        var second = ReadLayouts(stream, out _)[1];
        var cut = bytes[..(int)(second.ImageOffset + 100)];
        var e = Assert.Throws<SaveFormatException>(() => SaveStreams.ReadAll(cut));
        Assert.Equal("image", e.Field);
        Assert.Contains("truncated", e.Message);
        Assert.Equal(SaveRecordType.MemoryImage, e.RecordType);
    }

    [Fact]
    public void AnImageCannotBeSkippedOnAStreamThatCannotSeek()
    {
        using var memory = SaveStreams.Memory();
        var bytes = WriteImages(memory);
        var e = Assert.Throws<SaveFormatException>(() => SaveStreams.ReadAll(bytes, over: new SaveStreams.Trickle(bytes, 1000)));
        Assert.Contains("cannot skip", e.Message);
    }

    [Fact]
    public void TheWriterNeedsASeekableStreamAndOneFormOfMemory()
    {
        using var memory = SaveStreams.Memory();
        using (var w = new SaveStreamWriter(new NonSeekable(), SaveStreams.Header))
        {
            w.WriteDomainConfig(SaveStreams.ConfigJson);
            w.WriteMemoryRegionMap(memory);
            Assert.Throws<NotSupportedException>(() => w.WriteMemoryImages(memory));
        }
        using (var w = new SaveStreamWriter(new MemoryStream(), SaveStreams.Header))
        {
            w.WriteDomainConfig(SaveStreams.ConfigJson);
            w.WriteMemoryRegionMap(memory);
            w.WriteAllMemory(memory);
            Assert.Throws<InvalidOperationException>(() => w.WriteMemoryImages(memory));
        }
        using (var w = new SaveStreamWriter(new MemoryStream(), SaveStreams.Header))
        {
            w.WriteDomainConfig(SaveStreams.ConfigJson);
            w.WriteMemoryRegionMap(memory);
            Assert.Throws<ArgumentOutOfRangeException>(() => w.WriteMemoryImages(memory, 3000));
        }
        using (var w = new SaveStreamWriter(new MemoryStream(), SaveStreams.Header))
        {
            w.WriteDomainConfig(SaveStreams.ConfigJson);
            w.WriteMemoryRegionMap(memory);
            w.WriteMemoryImages(memory);
            Assert.Throws<InvalidOperationException>(() => w.WriteAllMemory(memory));
            Assert.Throws<InvalidOperationException>(() => w.WriteMemoryImages(memory));
        }
    }

    // ---- hand-framed records: each check of the reader

    private static readonly byte[] Map = SaveStreams.RegionMap((0, 0x8000));

    /// <summary>A stream with one MemoryImage of <see cref="Map"/>'s region built from <paramref name="shape"/>, its
    /// padding and image (zeros), and an End record.</summary>
    private static byte[] ImageStream(Action<byte[]>? shape = null, uint version = SaveFormat.Version, int chunkSize = 0x4000,
        uint chunks = 2, byte[]? padding = null, bool end = true, ulong dataPages = 1)
    {
        var prefix = SaveStreams.Concat(SaveStreams.RawHeader(version: version), SaveStreams.Config(), Map);
        var p = new byte[SaveFormat.ImageRecordFixedSize + SaveFormat.ImageChunkEntrySize * (int)chunks];
        long recordEnd = prefix.Length + SaveFormat.RecordHeaderSize + p.Length + SaveFormat.CrcSize;
        long imageOffset = (recordEnd + 4095) & ~4095L;
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(4), (uint)chunkSize);
        BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(8), (ulong)imageOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(16), dataPages);
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(24), chunks);
        // chunk 0: data (CRC of 16 KiB of zeros, as the image below holds); the rest: zero chunks
        if (chunks > 0) BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(32), Crc32C.Compute(new byte[chunkSize]));
        for (int c = 1; c < chunks; c++) BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(32 + 8 * c + 4), SaveFormat.ImageChunkZero);
        shape?.Invoke(p);
        var pad = padding ?? new byte[imageOffset - recordEnd];
        var image = new byte[0x8000];
        return SaveStreams.Concat(prefix, SaveStreams.RawRecord((uint)SaveRecordType.MemoryImage, p), pad, image,
            end ? SaveStreams.End(3, dataPages, 8 - dataPages) : []);
    }

    private static SaveFormatException Fails(byte[] bytes) => Assert.Throws<SaveFormatException>(() => SaveStreams.ReadAll(bytes));

    [Fact]
    public void AValidHandFramedImageStreamReads() =>
        Assert.Equal([SaveRecordType.DomainConfig, SaveRecordType.MemoryRegionMap, SaveRecordType.MemoryImage, SaveRecordType.End],
            SaveStreams.ReadAll(ImageStream()));

    [Fact]
    public void ImagesNeedVersion2() => Assert.Contains("version 2", Fails(ImageStream(version: 1)).Message);

    [Fact]
    public void RegionIndexMustNameARegion() =>
        Assert.Equal("region index", Fails(ImageStream(p => BinaryPrimitives.WriteUInt32LittleEndian(p, 1))).Field);

    [Theory]
    [InlineData(0)]
    [InlineData(2048)]
    [InlineData(0x3000)]
    [InlineData(128 << 20)]
    public void ChunkSizeMustBeAPowerOfTwoInRange(int size) =>
        Assert.Equal("chunk size", Fails(ImageStream(p => BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(4), (uint)size))).Field);

    [Fact]
    public void ChunkCountMustCoverTheRegion() => Assert.Equal("chunk count", Fails(ImageStream(chunks: 3)).Field);

    [Fact]
    public void ImageOffsetMustBeTheNextAlignedOffset() =>
        Assert.Equal("image offset", Fails(ImageStream(p => BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(8), 8192 * 4))).Field);

    [Fact]
    public void ReservedMustBeZero() =>
        Assert.Equal("reserved", Fails(ImageStream(p => p[28] = 1)).Field);

    [Fact]
    public void ChunkKindsAreKnownAndZeroChunksCarryNoCrc()
    {
        Assert.Equal("chunk kind", Fails(ImageStream(p => p[32 + 4] = 2)).Field);
        Assert.Equal("chunk crc", Fails(ImageStream(p => p[32 + 8] = 1)).Field);
    }

    [Fact]
    public void DataPagesMustFitTheDataChunks()
    {
        Assert.Equal("data pages", Fails(ImageStream(dataPages: 0)).Field);
        Assert.Equal("data pages", Fails(ImageStream(dataPages: 5)).Field);
    }

    [Fact]
    public void PaddingMustBeZero()
    {
        var p = ImageStream();
        // The padding is the bytes between the record's CRC and the image: set the last one.
        int recordEnd = SaveStreams.Concat(SaveStreams.RawHeader(), SaveStreams.Config(), Map).Length
            + SaveFormat.RecordHeaderSize + SaveFormat.ImageRecordFixedSize + 2 * SaveFormat.ImageChunkEntrySize + SaveFormat.CrcSize;
        int imageOffset = (recordEnd + 4095) & ~4095;
        p[imageOffset - 1] = 1;
        var e = Fails(p);
        Assert.Equal("image padding", e.Field);
        Assert.Equal(imageOffset - 1, e.Offset);
    }

    [Fact]
    public void ASecondImageOfTheSameRegionIsRefused()
    {
        var one = ImageStream(end: false);
        var e = Fails(SaveStreams.Concat(one, SaveStreams.RawRecord((uint)SaveRecordType.MemoryImage, new byte[48])));
        Assert.Equal("region index", e.Field);
        Assert.Contains("second", e.Message);
    }

    [Fact]
    public void PagesAndImagesDoNotMix()
    {
        var page = new byte[8 + 8];
        BinaryPrimitives.WriteUInt32LittleEndian(page, 1);
        BinaryPrimitives.WriteUInt64LittleEndian(page.AsSpan(8), 1UL << 60);
        var e = Fails(SaveStreams.Concat(ImageStream(end: false), SaveStreams.RawRecord((uint)SaveRecordType.MemoryPages, page)));
        Assert.Contains("MemoryImage", e.Message);
    }

    [Fact]
    public void EveryRegionNeedsAnImageOnceThereIsOne()
    {
        var map = SaveStreams.RegionMap((0, 0x8000), (0x100000, 0x1000));
        var prefix = SaveStreams.Concat(SaveStreams.RawHeader(), SaveStreams.Config(), map);
        var p = new byte[SaveFormat.ImageRecordFixedSize + 8];
        long recordEnd = prefix.Length + SaveFormat.RecordHeaderSize + p.Length + SaveFormat.CrcSize;
        long imageOffset = (recordEnd + 4095) & ~4095L;
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(4), 0x8000);
        BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(8), (ulong)imageOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(24), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(36), SaveFormat.ImageChunkZero);
        var bytes = SaveStreams.Concat(prefix, SaveStreams.RawRecord((uint)SaveRecordType.MemoryImage, p), new byte[imageOffset - recordEnd],
            new byte[0x8000], SaveStreams.End(3, 0, 8));
        var e = Fails(bytes);
        Assert.Contains("region 1 has no MemoryImage", e.Message);
    }

    [Fact]
    public void EveryTruncationOfAnImageFileIsRefused()
    {
        var bytes = ImageStream();
        for (int cut = 0; cut < bytes.Length; cut += 97)
            Assert.Throws<SaveFormatException>(() => SaveStreams.ReadAll(bytes[..cut]));
    }

    /// <summary>Blocks the file system allocated (st_blocks × 512), read with stat(1).</summary>
    private static long AllocatedBytes(string path)
    {
        using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%b %B", path])
            { RedirectStandardOutput = true })!;
        var parts = p.StandardOutput.ReadToEnd().Trim().Split(' ');
        p.WaitForExit();
        return long.Parse(parts[0]) * long.Parse(parts[1]);
    }

    private sealed class NonSeekable : MemoryStream
    {
        public override bool CanSeek => false;
    }
}
