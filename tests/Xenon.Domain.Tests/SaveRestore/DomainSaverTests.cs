using Xenon.Domain.Save;
using Xenon.Domain.SaveRestore;

namespace Xenon.Domain.Tests.SaveRestore;

/// <summary>The save orchestration (xl save): pause, quiesce, write FILE.tmp, rename; on any failure the domain runs on
/// and no file is left; without -c a successful save leaves the domain stopped for its owner to end.</summary>
public sealed class DomainSaverTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("xenon-save-").FullName;
    private string File1 => Path.Combine(_dir, "guest.save");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ASaveWithoutKeepLeavesTheDomainPausedAndQuiescedAndTheFileComplete()
    {
        using var d = new FakeDomain();
        d.Memory.GetSpan(0x2000, 4096).Fill(0x5a);
        var result = DomainSaver.Save(d, File1, keepRunning: false);

        Assert.Equal(["pause", "quiesce", "capture"], d.Events);
        Assert.True(File.Exists(File1));
        Assert.False(File.Exists(File1 + ".tmp"));
        Assert.Equal(new FileInfo(File1).Length, result.Bytes);
        Assert.Equal(1UL, result.DataPages);
        Assert.Equal(31UL, result.ZeroPages);
        Assert.Equal(2, result.Devices);
        Assert.Equal(
            // one MemoryImage record per region (each followed by its image)
            [SaveRecordType.DomainConfig, SaveRecordType.MemoryRegionMap, SaveRecordType.MemoryImage, SaveRecordType.MemoryImage, SaveRecordType.VcpuState,
             SaveRecordType.VcpuState, SaveRecordType.PlatformState, SaveRecordType.DeviceState, SaveRecordType.DeviceState, SaveRecordType.End],
            ReadTypes(File1));
    }

    [Fact]
    public void ASaveWithKeepResumesTheDevicesThenTheVcpus()
    {
        using var d = new FakeDomain();
        DomainSaver.Save(d, File1, keepRunning: true);
        Assert.Equal(["pause", "quiesce", "capture", "resume devices", "resume vcpus"], d.Events);
        Assert.True(File.Exists(File1));
    }

    [Fact]
    public void ADomainPausedBeforeTheSaveStaysPaused()
    {
        using var d = new FakeDomain { VcpusPaused = true };
        DomainSaver.Save(d, File1, keepRunning: true);
        Assert.Equal(["quiesce", "capture", "resume devices"], d.Events);
    }

    [Theory]
    [InlineData("pause", "pausing the vCPUs", new[] { "pause" })]
    [InlineData("quiesce", "quiescing device I/O", new[] { "pause", "quiesce", "resume vcpus" })]
    [InlineData("capture", "capturing the vCPU and platform state", new[] { "pause", "quiesce", "capture", "resume devices", "resume vcpus" })]
    [InlineData("device", "writing device state", new[] { "pause", "quiesce", "capture", "resume devices", "resume vcpus" })]
    public void AFailureAtAnyStepResumesTheDomainAndLeavesNoFile(string failAt, string step, string[] events)
    {
        using var d = new FakeDomain { FailAt = failAt };
        File.WriteAllText(File1, "an older save");
        var e = Assert.Throws<DomainSaveException>(() => DomainSaver.Save(d, File1, keepRunning: false));
        Assert.Contains(File1, e.Message);
        Assert.Contains(step, e.Message);
        Assert.Equal(events, d.Events);
        Assert.Equal("an older save", File.ReadAllText(File1));
        Assert.False(File.Exists(File1 + ".tmp"));
    }

    [Fact]
    public void AFileThatCannotBeCreatedFailsTheSaveAndTheDomainRunsOn()
    {
        using var d = new FakeDomain();
        string path = Path.Combine(_dir, "no-such-dir", "guest.save");
        var e = Assert.Throws<DomainSaveException>(() => DomainSaver.Save(d, path, keepRunning: false));
        Assert.Contains($"creating {path}.tmp", e.Message);
        Assert.Equal(["pause", "quiesce", "capture", "resume devices", "resume vcpus"], d.Events);
    }

    [Fact]
    public void AWriteErrorFailsTheSaveNamingTheStep()
    {
        using var d = new FakeDomain();
        // /dev/full: every write fails with ENOSPC, as on a full disk.
        if (!File.Exists("/dev/full")) Assert.Skip("no /dev/full");
        string dir = Path.Combine(_dir, "full");
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "guest.save");
        File.CreateSymbolicLink(path + ".tmp", "/dev/full");
        var e = Assert.Throws<DomainSaveException>(() => DomainSaver.Save(d, path, keepRunning: false));
        Assert.Contains(path, e.Message);
        Assert.Contains("writing", e.Message);
        Assert.Equal(["pause", "quiesce", "capture", "resume devices", "resume vcpus"], d.Events);
        Assert.False(File.Exists(path));
    }

    private static List<SaveRecordType> ReadTypes(string path)
    {
        using var reader = new SaveStreamReader(File.OpenRead(path), ownsStream: true);
        var types = new List<SaveRecordType>();
        while (reader.TryReadRecord(out var r)) types.Add(r.Type);
        reader.ExpectEndOfStream();
        return types;
    }
}
