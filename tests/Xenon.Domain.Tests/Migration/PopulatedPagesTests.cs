using Xenon.Domain.Migration;
using Xenon.Machine.Memory;

namespace Xenon.Domain.Tests.Migration;

/// <summary>
/// The first pass's page set: only pages the host gave the guest (written, not discarded); a region mapped from a file,
/// or a pagemap or maps file that cannot be read, counts whole. Regions of 256 KiB are too small for huge pages, so the
/// host's pages here are exactly the 4 KiB pages written.
/// </summary>
public sealed class PopulatedPagesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("xenon-populated-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static GuestMemory NewMemory() => GuestMemory.Create([(0, 0x40000), (0x100000, 0x40000)]);

    private static ulong[] Collect(GuestMemory memory, string pagemap = "/proc/self/pagemap", string maps = "/proc/self/maps")
    {
        var pfns = new ulong[memory.RamSize / 4096];
        int n = PopulatedPages.Collect(memory, pfns, pagemap, maps);
        return pfns[..n];
    }

    private static ulong[] Every(GuestMemory memory)
    {
        var all = new List<ulong>();
        foreach (var r in memory.Regions)
            for (ulong gpa = r.GuestAddress; gpa < r.End; gpa += 4096) all.Add(gpa >> 12);
        return [.. all];
    }

    [Fact]
    public void OnlyThePagesWrittenAreListedInOrder()
    {
        using var memory = NewMemory();
        memory.GetSpan(0x5000, 8).Fill(5);
        memory.GetSpan(0x1000, 1).Fill(1);
        memory.GetSpan(0x102000, 4096).Fill(2);
        Assert.Equal([0x1UL, 0x5UL, 0x102UL], Collect(memory));
    }

    [Fact]
    public void ADiscardedPageIsAHoleAgain()
    {
        using var memory = NewMemory();
        memory.GetSpan(0x3000, 4096).Fill(3);
        memory.GetSpan(0x4000, 4096).Fill(4);
        Assert.True(memory.Discard(0x3000, 4096));
        Assert.Equal([0x4UL], Collect(memory));
    }

    [Fact]
    public void AnUntouchedMemoryHasNoPages()
    {
        using var memory = NewMemory();
        Assert.Empty(Collect(memory));
    }

    [Fact]
    public void WithoutAReadablePagemapOrMapsEveryPageCounts()
    {
        using var memory = NewMemory();
        memory.GetSpan(0x1000, 1).Fill(1);
        Assert.Equal(Every(memory), Collect(memory, pagemap: Path.Combine(_dir, "no-pagemap")));
        Assert.Equal(Every(memory), Collect(memory, maps: Path.Combine(_dir, "no-maps")));
        // A pagemap that ends early (a plain empty file) is a failed read: the region counts whole, nothing twice.
        string empty = Path.Combine(_dir, "empty");
        File.WriteAllBytes(empty, []);
        Assert.Equal(Every(memory), Collect(memory, pagemap: empty));
    }

    [Fact]
    public void ARegionMappedFromAFileCountsWhole()
    {
        // A lazily restored region: its untouched pages hold the file's data, which the pagemap does not show.
        using var memory = NewMemory();
        string file = Path.Combine(_dir, "image");
        File.WriteAllBytes(file, Enumerable.Repeat((byte)0x77, 0x10000).ToArray());
        using (var handle = File.OpenHandle(file))
            GuestMemoryFileImage.MapPrivate(memory, 1, 0x10000, 0x10000, handle, 0);
        memory.GetSpan(0x2000, 1).Fill(2);
        var regionOne = Every(memory).Where(p => p >= 0x100).ToArray();
        Assert.Equal([0x2UL, .. regionOne], Collect(memory));
    }
}
