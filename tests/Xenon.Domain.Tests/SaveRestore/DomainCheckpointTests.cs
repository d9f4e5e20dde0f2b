using Xenon.Domain.Process;
using Xenon.Domain.SaveRestore;

namespace Xenon.Domain.Tests.SaveRestore;

/// <summary>xl save's -p and CONFIG-FILE around the saver, the save request's extra members, and restore -e's request file.</summary>
public sealed class DomainCheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("xenon-checkpoint-").FullName;
    private string SaveFile => Path.Combine(_dir, "guest.save");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static DomainSpec Spec(string name = "guest-1", ulong memory = 1, int vcpus = 2) =>
        new() { Name = name, MemoryMiB = memory, Vcpus = vcpus, Kernel = "/nonexistent" };

    [Fact]
    public void LeavePausedPausesFirstAndDoesNotResumeTheVcpus()
    {
        using var d = new FakeDomain();
        DomainCheckpoint.Save(d, Spec(), SaveFile, keepRunning: false, leavePaused: true, replacementSpec: null);
        Assert.Equal(["pause", "quiesce", "capture", "resume devices"], d.Events);
        Assert.True(File.Exists(SaveFile));
    }

    [Fact]
    public void LeavePausedOnAFailedSaveResumesWhatItPaused()
    {
        using var d = new FakeDomain { FailAt = "capture" };
        Assert.Throws<DomainSaveException>(() => DomainCheckpoint.Save(d, Spec(), SaveFile, false, leavePaused: true, replacementSpec: null));
        Assert.Equal(["pause", "quiesce", "capture", "resume devices", "resume vcpus"], d.Events);
    }

    [Fact]
    public void ADomainAlreadyPausedStaysPausedAndIsNotPausedTwice()
    {
        using var d = new FakeDomain { VcpusPaused = true };
        DomainCheckpoint.Save(d, Spec(), SaveFile, false, leavePaused: true, replacementSpec: null);
        Assert.Equal(["quiesce", "capture", "resume devices"], d.Events);
    }

    [Fact]
    public void AReplacementConfigurationIsWhatTheFileHolds()
    {
        using var d = new FakeDomain();
        var replacement = Spec("renamed") with { OnReboot = LifecycleAction.Destroy };
        DomainCheckpoint.Save(d, Spec(), SaveFile, keepRunning: true, leavePaused: false, DomainSpecJson.Serialize(replacement));
        using var reader = SavedDomainReader.Open(SaveFile);
        var stored = DomainSpecJson.Deserialize(reader.ConfigJson, "test");
        Assert.Equal("renamed", stored.Name);
        Assert.Equal(LifecycleAction.Destroy, stored.OnReboot);
    }

    [Theory]
    [InlineData(2UL, 2, "RAM")]
    [InlineData(1UL, 3, "vcpus")]
    public void AReplacementForAnotherMachineIsRefusedAndTheDomainIsUntouched(ulong memory, int vcpus, string what)
    {
        using var d = new FakeDomain();
        var e = Assert.Throws<DomainSaveException>(() =>
            DomainCheckpoint.Save(d, Spec(), SaveFile, false, false, DomainSpecJson.Serialize(Spec(memory: memory, vcpus: vcpus))));
        Assert.Contains(what, e.Message);
        Assert.Empty(d.Events);
        Assert.False(File.Exists(SaveFile));
        Assert.Throws<DomainSaveException>(() => DomainCheckpoint.Save(d, Spec(), SaveFile, false, false, "{\"not\":\"a spec\"}"));
    }

    [Theory]
    [InlineData("""{"cmd":"save","path":"/x"}""", false, null)]
    [InlineData("""{"cmd":"save","path":"/x","paused":true}""", true, null)]
    [InlineData("""{"cmd":"save","path":"/x","config":"/run/xenon/domains/web/save-config.json"}""", false, "/run/xenon/domains/web/save-config.json")]
    public void SaveRequestOptionsAreRead(string line, bool paused, string? config)
    {
        var options = SaveRequestOptions.Parse(System.Text.Encoding.UTF8.GetBytes(line), out string? error);
        Assert.Null(error);
        Assert.Equal(new SaveRequestOptions(paused, config), options);
    }

    [Theory]
    [InlineData("""{"cmd":"save","paused":"yes"}""", "paused")]
    [InlineData("""{"cmd":"save","config":"relative.json"}""", "config")]
    [InlineData("""{"cmd":"save","config":7}""", "config")]
    public void MalformedSaveRequestOptionsAreRefusedByName(string line, string member)
    {
        Assert.Null(SaveRequestOptions.Parse(System.Text.Encoding.UTF8.GetBytes(line), out string? error));
        Assert.Contains(member, error);
    }

    [Fact]
    public void AnUnreadableReplacementFileFailsTheSaveNamingIt()
    {
        var e = Assert.Throws<DomainSaveException>(() => new SaveRequestOptions(false, "/nonexistent/spec.json").ReadConfig(SaveFile));
        Assert.Contains("/nonexistent/spec.json", e.Message);
    }

    [Fact]
    public void TheRestoreRequestFileCarriesNoMonitor()
    {
        var dir = new DomainRuntimeDirectory(Path.Combine(_dir, "web"));
        Directory.CreateDirectory(dir.Path);
        RestoreRequestFile.Write(dir, new RestoreRequest("/x.save", Paused: true) { NoMonitor = true });
        Assert.Equal(new RestoreRequest("/x.save", true) { NoMonitor = true }, RestoreRequestFile.TryRead(dir));
        RestoreRequestFile.Write(dir, new RestoreRequest("/x.save", Paused: false));
        Assert.Equal(new RestoreRequest("/x.save", false), RestoreRequestFile.TryRead(dir));
        File.WriteAllText(Path.Combine(dir.Path, RestoreRequestFile.FileName), "/x.save\nrunning\nsomething\n");
        Assert.Throws<InvalidDataException>(() => RestoreRequestFile.TryRead(dir));
    }
}
