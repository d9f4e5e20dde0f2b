using Xenon.Domain.Save;
using Xenon.Machine.Memory;

namespace Xenon.Domain.Tests.Save;

public sealed class SaveStreamAllocationTests
{
    [Fact]
    public void WritingAndReadingPagesAllocatesNothingPerPage()
    {
        using var memory = GuestMemory.Create([(0, 8 << 20)]);
        var random = new Random(5);
        for (ulong page = 0; page < 2048; page += 2) random.NextBytes(memory.GetSpan(page * 4096, 32));
        var pfns = Enumerable.Range(0, 2048).Select(i => (ulong)i).ToArray();
        using var sink = new MemoryStream(16 << 20);
        using var w = new SaveStreamWriter(sink, SaveStreams.Header);
        w.WriteDomainConfig(SaveStreams.ConfigJson);
        w.WriteMemoryRegionMap(memory);
        w.WriteMemoryPages(memory, pfns.AsSpan(0, 1024)); // warm-up: rents the pooled buffers

        long before = GC.GetAllocatedBytesForCurrentThread();
        w.WriteMemoryPages(memory, pfns.AsSpan(1024));
        long written = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(written < 1024, $"writing 1024 pages allocated {written} bytes");
        w.WriteEnd();

        byte[] bytes = sink.ToArray();
        using var reader = new SaveStreamReader(new MemoryStream(bytes));
        Assert.True(reader.TryReadRecord(out _)); // config
        Assert.True(reader.TryReadRecord(out _)); // map
        Assert.True(reader.TryReadRecord(out var first));
        first.MemoryPages.ApplyTo(memory); // warm-up: grows the pooled buffer to a page batch
        before = GC.GetAllocatedBytesForCurrentThread();
        Assert.True(reader.TryReadRecord(out var second));
        second.MemoryPages.ApplyTo(memory);
        long read = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(read < 1024, $"reading 1024 pages allocated {read} bytes");
    }
}
