using Xenon.Domain.Migration;
using Xenon.Machine.Memory;

namespace Xenon.Domain.Tests.Migration;

/// <summary>The verify mode's digest: equal memories give equal lines, and a changed byte names its MiB.</summary>
public sealed class MigrationMemoryDigestTests
{
    [Fact]
    public void EqualMemoriesDigestEquallyAndAChangedByteNamesItsChunk()
    {
        using var a = GuestMemory.Create([(0UL, 3UL << 20), (0x1_0000_0000UL, 1UL << 20)]);
        using var b = GuestMemory.Create([(0UL, 3UL << 20), (0x1_0000_0000UL, 1UL << 20)]);
        a.GetSpan(0x1234, 4).Fill(7);
        b.GetSpan(0x1234, 4).Fill(7);
        Assert.Equal(MigrationMemoryDigest.Compute(a), MigrationMemoryDigest.Compute(b));

        b.GetSpan(0x1_0000_0010UL, 1)[0] = 1;
        string da = MigrationMemoryDigest.Compute(a), db = MigrationMemoryDigest.Compute(b);

        Assert.StartsWith("whole ", da);
        Assert.Contains(", 4 chunks: 0=", da);
        Assert.NotEqual(da, db);
        var chunksA = da[(da.IndexOf(':') + 2)..].Split(' ');
        var chunksB = db[(db.IndexOf(':') + 2)..].Split(' ');
        Assert.Equal(4, chunksA.Length);
        for (int i = 0; i < 4; i++)
        {
            if (chunksA[i].StartsWith("100000000=", StringComparison.Ordinal)) Assert.NotEqual(chunksA[i], chunksB[i]);
            else Assert.Equal(chunksA[i], chunksB[i]);
        }
    }

    [Fact]
    public void ChangedPagesNamesEveryPageWrittenSinceTheHashes()
    {
        using var memory = GuestMemory.Create([(0UL, 1UL << 20), (0x1_0000_0000UL, 1UL << 20)]);
        var before = MigrationMemoryDigest.PageHashes(memory);
        Assert.Equal(512, before.Length);
        Assert.Equal("0 pages changed:", MigrationMemoryDigest.ChangedPages(memory, before));

        memory.GetSpan(0x3000, 1)[0] = 9;
        memory.GetSpan(0x1_0000_5ffFUL, 1)[0] = 9;

        Assert.Equal("2 pages changed: 3000 100005000", MigrationMemoryDigest.ChangedPages(memory, before));
    }
}
