using Microsoft.Win32.SafeHandles;
using Xenon.Machine.Memory;

namespace Xenon.Machine.Tests.Memory;

/// <summary>A file range mapped privately over guest RAM (lazy restore): the guest sees the file, its writes stay in
/// this process (copy-on-write), a discarded page reads as the file again, and only this process's anonymous memory
/// can take such a mapping.</summary>
public sealed class GuestMemoryFileImageTests : IDisposable
{
    private const int MiB = 1 << 20;
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"xenon-image-{Guid.NewGuid():N}");

    public GuestMemoryFileImageTests()
    {
        var bytes = new byte[4 * MiB];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)(i / 4096 + 1);
        File.WriteAllBytes(_path, bytes);
    }

    public void Dispose() => File.Delete(_path);

    private SafeFileHandle Open() => File.OpenHandle(_path);

    [Fact]
    public void TheMappedRangeReadsAsTheFileAndTheRestStaysAsItWas()
    {
        using var memory = GuestMemory.Create([(0, 4 * MiB), (16 * MiB, 2 * MiB)]);
        memory.GetSpan(16 * MiB, 8).Fill(0x77);
        memory.GetSpan(0, 8).Fill(0x66);
        using (var file = Open()) GuestMemoryFileImage.MapPrivate(memory, 1, 0, 2 * MiB, file, MiB);

        Assert.Equal(0x66, memory.Read<byte>(0));
        // region 1 page p now holds file page 256 + p, whose bytes are (256 + p + 1) & 0xff
        Assert.Equal(unchecked((byte)(256 + 1)), memory.Read<byte>(16 * MiB));
        Assert.Equal(unchecked((byte)(256 + 3 + 1)), memory.Read<byte>(16 * MiB + 3 * 4096 + 100));
        Assert.True(GuestMemoryFileImage.TryPrefault(memory, 1, 0, 2 * MiB));
    }

    [Fact]
    public void WritesAreCopiedAndNeverReachTheFileAndADiscardedPageReadsAsTheFileAgain()
    {
        var before = File.ReadAllBytes(_path);
        using var memory = GuestMemory.Create([(0, 4 * MiB)]);
        using (var file = Open()) GuestMemoryFileImage.MapPrivate(memory, 0, 0, 4 * MiB, file, 0);
        memory.GetSpan(0, 4 * MiB).Fill(0xab);
        Assert.Equal(0xab, memory.Read<byte>(MiB));
        Assert.Equal(before, File.ReadAllBytes(_path));

        // The balloon's release drops the private copy: the page is the file's again (not zero; docs/save-restore.md).
        Assert.True(memory.Discard(MiB, 4096));
        Assert.Equal(before[MiB], memory.Read<byte>(MiB));
        Assert.Equal(0xab, memory.Read<byte>(MiB + 4096));
    }

    [Fact]
    public void ASharedMemfdRegionCannotTakeAPrivateMapping()
    {
        using var memory = GuestMemory.Create([(0, 2 * MiB)], GuestMemoryBacking.SharedMemfd);
        Assert.False(GuestMemoryFileImage.CanOverlay(memory, 0));
        using var file = Open();
        Assert.Throws<ArgumentException>(() => GuestMemoryFileImage.MapPrivate(memory, 0, 0, 2 * MiB, file, 0));
    }

    [Theory]
    [InlineData(0UL, 2UL * MiB + 4096, 0L)]   // past the region's end
    [InlineData(100UL, 4096UL, 0L)]           // misaligned offset
    [InlineData(0UL, 100UL, 0L)]              // misaligned length
    [InlineData(0UL, 0UL, 0L)]                // empty
    [InlineData(0UL, 4096UL, 100L)]           // misaligned file offset
    public void RangesOutsideTheRegionOrMisalignedAreRefused(ulong offset, ulong length, long fileOffset)
    {
        using var memory = GuestMemory.Create([(0, 2 * MiB)]);
        Assert.True(GuestMemoryFileImage.CanOverlay(memory, 0));
        using var file = Open();
        Assert.Throws<ArgumentException>(() => GuestMemoryFileImage.MapPrivate(memory, 0, offset, length, file, fileOffset));
        Assert.Throws<ArgumentOutOfRangeException>(() => GuestMemoryFileImage.MapPrivate(memory, 1, 0, 4096, file, 0));
        Assert.False(GuestMemoryFileImage.TryPrefault(memory, 0, 0, 3 * MiB));
    }
}
