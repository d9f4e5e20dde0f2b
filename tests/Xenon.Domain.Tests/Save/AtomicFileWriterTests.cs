using Xenon.Domain.Save;

namespace Xenon.Domain.Tests.Save;

public sealed class AtomicFileWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("xenon-atomic-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Path(string name) => System.IO.Path.Combine(_dir, name);

    [Fact]
    public void CommitLeavesOnlyTheFinalFile()
    {
        AtomicFileWriter.Write(Path("dom.save"), s => s.Write("content"u8));
        Assert.Equal("content"u8.ToArray(), File.ReadAllBytes(Path("dom.save")));
        Assert.Equal(["dom.save"], Directory.GetFiles(_dir).Select(System.IO.Path.GetFileName));
    }

    [Fact]
    public void AFailedWriteLeavesNoFileAndKeepsTheOldOne()
    {
        Assert.Throws<InvalidOperationException>(() => AtomicFileWriter.Write(Path("new.save"), s =>
        {
            s.Write("half"u8);
            throw new InvalidOperationException("the save failed");
        }));
        Assert.Empty(Directory.GetFiles(_dir));

        File.WriteAllText(Path("old.save"), "old");
        using (var w = AtomicFileWriter.Create(Path("old.save")))
        {
            w.Stream.Write("partial"u8);
            Assert.True(File.Exists(w.TempPath));
        }
        Assert.Equal("old", File.ReadAllText(Path("old.save")));
        Assert.False(File.Exists(Path("old.save") + AtomicFileWriter.TempSuffix));
    }

    [Fact]
    public void ACommittedSaveReadsBackFromDisk()
    {
        using var memory = SaveStreams.Memory();
        AtomicFileWriter.Write(Path("guest.save"), s =>
        {
            using var w = new SaveStreamWriter(s, SaveStreams.Header);
            w.WriteDomainConfig(SaveStreams.ConfigJson);
            w.WriteMemoryRegionMap(memory);
            w.WriteAllMemory(memory);
            w.WriteEnd();
        });
        using var file = File.OpenRead(Path("guest.save"));
        var types = SaveStreams.ReadAll([], over: file);
        Assert.Equal(SaveRecordType.End, types[^1]);
    }

    [Fact]
    public void AStaleTemporaryFromAKilledSaveIsOverwritten()
    {
        File.WriteAllText(Path("dom.save.tmp"), "stale from a crash");
        AtomicFileWriter.Write(Path("dom.save"), s => s.Write("fresh"u8));
        Assert.Equal("fresh", File.ReadAllText(Path("dom.save")));
        Assert.False(File.Exists(Path("dom.save.tmp")));
    }
}
