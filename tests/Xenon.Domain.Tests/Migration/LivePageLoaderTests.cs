using Xenon.Domain.Migration;
using Xenon.Domain.Save;
using Xenon.Machine.Memory;

namespace Xenon.Domain.Tests.Migration;

/// <summary>Pages of a live stream: the last copy wins, a zero entry clears a page sent earlier with data.</summary>
public sealed class LivePageLoaderTests
{
    [Fact]
    public void TheLastCopyOfAPageWinsAndAZeroEntryClearsEarlierData()
    {
        using var source = GuestMemory.Create([(0, 0x10000)]);
        using var target = GuestMemory.Create([(0, 0x10000)]);
        var stream = new MemoryStream();
        using (var w = new SaveStreamWriter(stream, new SaveHeader("g", Guid.Empty, SaveFlags.Live)))
        {
            w.WriteDomainConfig("{}"u8);
            w.WriteMemoryRegionMap(source);
            source.GetSpan(0x1000, 4096).Fill(1);
            source.GetSpan(0x2000, 4096).Fill(2);
            w.WriteMemoryPages(source, [1, 2, 3]);
            source.GetSpan(0x1000, 4096).Clear();
            source.GetSpan(0x2000, 8).Fill(9);
            w.WriteMemoryPages(source, [1, 2, 3]);
            w.WriteEnd();
        }
        stream.Position = 0;
        using var r = new SaveStreamReader(stream);
        var loader = new LivePageLoader(target);
        target.GetSpan(0x3000, 4).Fill(0); // a page that never had data stays as it is (zero)
        while (r.TryReadRecord(out var record))
            if (record.Type == SaveRecordType.MemoryPages) loader.Apply(record);

        Assert.True(target.GetSpan(0x1000, 4096).IndexOfAnyExcept((byte)0) < 0);
        Assert.True(source.GetSpan(0x2000, 4096).SequenceEqual(target.GetSpan(0x2000, 4096)));
        Assert.True(target.GetSpan(0x3000, 4096).IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void APageOutsideTheReceivingMemoryIsRefusedByOffset()
    {
        using var source = GuestMemory.Create([(0, 0x10000), (0x100000, 0x10000)]);
        using var target = GuestMemory.Create([(0, 0x10000)]);
        var stream = new MemoryStream();
        using (var w = new SaveStreamWriter(stream, new SaveHeader("g", Guid.Empty, SaveFlags.Live)))
        {
            w.WriteDomainConfig("{}"u8);
            w.WriteMemoryRegionMap(source);
            w.WriteMemoryPages(source, [0x100]);
            w.WriteEnd();
        }
        stream.Position = 0;
        using var r = new SaveStreamReader(stream);
        var loader = new LivePageLoader(target);
        r.TryReadRecord(out _);
        r.TryReadRecord(out _);
        r.TryReadRecord(out var pages);
        SaveFormatException? e = null;
        try
        {
            loader.Apply(pages);
        }
        catch (SaveFormatException caught)
        {
            e = caught;
        }
        Assert.NotNull(e);
        Assert.Contains("pfn 0x100 is outside", e.Message);
    }

    [Fact]
    public void ZeroAllLeavesEveryPageZeroAndForgetsWhichHadData()
    {
        using var target = GuestMemory.Create([(0, 0x10000), (0x100000, 0x10000)]);
        target.GetSpan(0x2000, 4096).Fill(7);
        target.GetSpan(0x105000, 16).Fill(8);
        var loader = new LivePageLoader(target);
        loader.ZeroAll();
        Assert.True(target.GetSpan(0, 0x10000).IndexOfAnyExcept((byte)0) < 0);
        Assert.True(target.GetSpan(0x100000, 0x10000).IndexOfAnyExcept((byte)0) < 0);
    }
}
