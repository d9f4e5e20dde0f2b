using Xenon.Domain.Process;
using Xenon.Domain.Save;
using Xenon.Toolstack.Commands;
using Xenon.Toolstack.Tests.XenStore;

namespace Xenon.Toolstack.Tests.Commands;

/// <summary>xenon save / restore against fake domains (control sockets that answer like a domain process); what needs a
/// real domain is the save-restore scenario's.</summary>
public sealed class SaveRestoreCommandTests : IDisposable
{
    private readonly ToolstackFixture _world = new(startStore: false);
    private readonly StringWriter _err = new();

    public void Dispose() => _world.Dispose();

    private string SaveFile => Path.Combine(_world.Root, "web.save");

    [Fact]
    public void SaveWithKeepSendsTheAbsolutePathAndReturnsOnceSaved()
    {
        _world.AddDomain(ToolstackFixture.Spec("web", 2), control: true);
        Assert.Equal(0, SaveCommand.Run(["-c", "web", SaveFile], _err, _world.Context));
        Assert.Contains($"web:{{\"cmd\":\"save\",\"path\":\"{SaveFile}\",\"keep\":true}}", _world.ControlLog);
        Assert.Contains("Saved domain web", _err.ToString());
    }

    [Fact]
    public async Task SaveWithoutKeepWaitsUntilTheDomainHasEnded()
    {
        var dir = _world.AddDomain(ToolstackFixture.Spec("web", 2), control: true);
        var ct = TestContext.Current.CancellationToken;
        var ended = Task.Run(async () =>
        {
            while (!_world.ControlLog.Any(l => l.Contains("\"save\""))) await Task.Delay(10, ct);
            await Task.Delay(200, ct);
            dir.WriteFile("outcome", "Saved 5 saved to x\n");
        }, ct);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(0, SaveCommand.Run(["web", SaveFile], _err, _world.Context));
        Assert.True(clock.ElapsedMilliseconds >= 200, "save returned before the domain ended");
        Assert.Contains("\"keep\":false", Assert.Single(_world.ControlLog));
        Assert.DoesNotContain("warning", _err.ToString());
        await ended;
    }

    [Theory]
    [InlineData(new string[0], "Usage: xenon save")]
    [InlineData(new[] { "web" }, "Usage: xenon save")]
    [InlineData(new[] { "web", "f", "cfg", "more" }, "Usage: xenon save")]
    [InlineData(new[] { "web", "f", "/nonexistent/web.cfg" }, "/nonexistent/web.cfg")]
    [InlineData(new[] { "-x", "web", "f" }, "unknown option")]
    [InlineData(new[] { "Domain-0", "f" }, "Domain-0 (the host) cannot be saved")]
    [InlineData(new[] { "nope", "f" }, "nope is an invalid domain identifier (rc=-6)")]
    public void SaveRefusesBadArguments(string[] args, string expected)
    {
        _world.AddDomain(ToolstackFixture.Spec("web", 2), control: true);
        Assert.Equal(1, SaveCommand.Run(args, _err, _world.Context));
        Assert.Contains(expected, _err.ToString());
        Assert.DoesNotContain(_world.ControlLog, l => l.Contains("save"));
    }

    [Theory]
    [InlineData(new string[0], "Usage: xenon restore")]
    [InlineData(new[] { "cfg", "file", "more" }, "Usage: xenon restore")]
    [InlineData(new[] { "-q", "file" }, "unknown option")]
    [InlineData(new[] { "-x", "file" }, "unknown option")]
    public void RestoreRefusesBadArguments(string[] args, string expected)
    {
        Assert.Equal(1, RestoreCommand.Run(args, _err, _world.Context));
        Assert.Contains(expected, _err.ToString());
    }

    [Fact]
    public void RestoreOfAMissingFileNamesIt()
    {
        Assert.Equal(1, RestoreCommand.Run([SaveFile], _err, _world.Context));
        Assert.Contains($"cannot open {SaveFile}", _err.ToString());
        Assert.False(Directory.Exists(_world.Context.DomainsDirectory) && Directory.EnumerateDirectories(_world.Context.DomainsDirectory).Any());
    }

    [Fact]
    public void RestoreOfAFileOfAnotherVersionNamesTheOffsetAndStartsNothing()
    {
        var bytes = SavedHeaderAndConfig("web");
        bytes[8] = 9;
        File.WriteAllBytes(SaveFile, bytes);
        Assert.Equal(1, RestoreCommand.Run([SaveFile], _err, _world.Context));
        Assert.Contains(SaveFile, _err.ToString());
        Assert.Contains("offset 8", _err.ToString());
        Assert.False(Directory.Exists(_world.Context.DirectoryFor("web").Path));
    }

    [Fact]
    public void RestoreOfAFileWhoseConfigIsNotADomainSpecSaysSo()
    {
        File.WriteAllBytes(SaveFile, SavedHeaderAndConfig("web", "{\"name\":\"web\"}"));
        Assert.Equal(1, RestoreCommand.Run([SaveFile], _err, _world.Context));
        Assert.Contains("the saved domain configuration", _err.ToString());
        Assert.False(Directory.Exists(_world.Context.DirectoryFor("web").Path));
    }

    [Fact]
    public void RestoreUnderANameInUseIsRefusedAsCreateRefusesIt()
    {
        _world.AddDomain(ToolstackFixture.Spec("web", 2), control: true);
        File.WriteAllBytes(SaveFile, SavedHeaderAndConfig("web"));
        Assert.Equal(1, RestoreCommand.Run([SaveFile], _err, _world.Context));
        Assert.Contains("domain name 'web' is already in use", _err.ToString());
        Assert.False(File.Exists(Path.Combine(_world.Context.DirectoryFor("web").Path, RestoreRequestFile.FileName)));
    }

    private string Config(string name, int memory = 128, int maxmem = 256, int vcpus = 1, string extra = "")
    {
        string kernel = Path.Combine(_world.Root, "vmlinuz");
        File.WriteAllText(kernel, "not a kernel: the toolstack only checks that it exists");
        string path = Path.Combine(_world.Root, $"{name}.cfg");
        File.WriteAllText(path, $"name = \"{name}\"\nmemory = {memory}\nmaxmem = {maxmem}\nvcpus = {vcpus}\nkernel = \"{kernel}\"\n{extra}");
        return path;
    }

    [Fact]
    public void SaveWithPausedKeepsTheDomainPausedAndDoesNotWaitForItsEnd()
    {
        _world.AddDomain(ToolstackFixture.Spec("web", 2), control: true);
        Assert.Equal(0, SaveCommand.Run(["-p", "web", SaveFile], _err, _world.Context));
        Assert.Contains($"web:{{\"cmd\":\"save\",\"path\":\"{SaveFile}\",\"keep\":true,\"paused\":true}}", _world.ControlLog);
        Assert.Contains("stays paused", _err.ToString());
        Assert.Equal(0, SaveCommand.Run(["-c", "-p", "web", SaveFile], _err, _world.Context));
        Assert.Equal(2, _world.ControlLog.Count(l => l.Contains("\"paused\":true")));
    }

    [Fact]
    public void SaveWithAConfigFileHandsItsSpecToTheDomainProcessAndRemovesItAfter()
    {
        var dir = _world.AddDomain(ToolstackFixture.Spec("web", 2), control: true);
        string cfg = Config("web2", extra: "on_reboot = \"destroy\"\n");
        Assert.Equal(0, SaveCommand.Run(["-c", "web", SaveFile, cfg], _err, _world.Context));
        string specFile = Path.Combine(dir.Path, SaveCommand.ReplacementSpecFile);
        Assert.Contains($"web:{{\"cmd\":\"save\",\"path\":\"{SaveFile}\",\"keep\":true,\"config\":\"{specFile}\"}}", _world.ControlLog);
        Assert.False(File.Exists(specFile));
        Assert.Contains($"configuration from {cfg}", _err.ToString());
    }

    [Theory]
    [InlineData(512, 512, 1, "RAM")]
    [InlineData(128, 256, 2, "vcpus")]
    public void SaveWithAConfigForAnotherMachineIsRefusedBeforeAnythingIsSent(int memory, int maxmem, int vcpus, string what)
    {
        _world.AddDomain(ToolstackFixture.Spec("web", 2), control: true);
        Assert.Equal(1, SaveCommand.Run(["web", SaveFile, Config("web", memory, maxmem, vcpus)], _err, _world.Context));
        Assert.Contains(what, _err.ToString());
        Assert.Contains("must be equal", _err.ToString());
        Assert.Empty(_world.ControlLog);
    }

    [Fact]
    public void RestoreWithVSaysThereIsNoVncViewer()
    {
        Assert.Equal(1, RestoreCommand.Run(["-V", SaveFile], _err, _world.Context));
        Assert.Contains("there is no VNC viewer", _err.ToString());
        Assert.Contains($"cannot open {SaveFile}", _err.ToString());
    }

    [Fact]
    public void RestoreTakesEveryXlOption()
    {
        // Parsed (then the missing file stops it): -p -e -d -V -c, alone or grouped, and a config before the file.
        Assert.Equal(1, RestoreCommand.Run(["-pedVc", SaveFile], _err, _world.Context));
        Assert.Equal(1, RestoreCommand.Run(["-p", "-e", "-d", "-V", "-c", Config("web"), SaveFile], _err, _world.Context));
        Assert.DoesNotContain("unknown option", _err.ToString());
        Assert.DoesNotContain("Usage", _err.ToString());
    }

    [Theory]
    [InlineData(512, 512, 1, "RAM")]
    [InlineData(128, 256, 3, "vcpus")]
    public void RestoreWithAConfigForAnotherMachineIsRefusedAndStartsNothing(int memory, int maxmem, int vcpus, string what)
    {
        File.WriteAllBytes(SaveFile, SavedHeaderAndConfig("web"));
        Assert.Equal(1, RestoreCommand.Run([Config("web", memory, maxmem, vcpus), SaveFile], _err, _world.Context));
        Assert.Contains(what, _err.ToString());
        Assert.Contains("must be equal", _err.ToString());
        Assert.False(Directory.Exists(_world.Context.DirectoryFor("web").Path));
    }

    [Fact]
    public void RestoreWithAConfigThatCannotBeReadNamesIt()
    {
        File.WriteAllBytes(SaveFile, SavedHeaderAndConfig("web"));
        Assert.Equal(1, RestoreCommand.Run(["/nonexistent/web.cfg", SaveFile], _err, _world.Context));
        Assert.Contains("/nonexistent/web.cfg", _err.ToString());
        Assert.False(Directory.Exists(_world.Context.DirectoryFor("web").Path));
    }

    [Fact]
    public void RestoreWithAConfigUnderANameInUseIsRefused()
    {
        _world.AddDomain(ToolstackFixture.Spec("other", 3), control: true);
        File.WriteAllBytes(SaveFile, SavedHeaderAndConfig("web"));
        Assert.Equal(1, RestoreCommand.Run([Config("other"), SaveFile], _err, _world.Context));
        Assert.Contains("domain name 'other' is already in use", _err.ToString());
    }

    [Fact]
    public void AReplacementConfigWithoutUuidKeepsTheSavedOneAndItsOwnNameAndActions()
    {
        var saved = ToolstackFixture.Spec("web", 7);
        var config = SaveRestoreConfig.Load(Config("web2", extra: "on_crash = \"restart\"\n"), saved, "xenon restore", _err);
        Assert.NotNull(config);
        var spec = SaveRestoreConfig.ToSpec(config, saved, 9);
        Assert.Equal(saved.Uuid, spec.Uuid);
        Assert.Equal("web2", spec.Name);
        Assert.Equal(9, spec.DomId);
        Assert.Equal(Xenon.Domain.LifecycleAction.Restart, spec.OnCrash);
    }

    [Fact]
    public void TheRestoreLogLinesForDebugAreThoseOfTheLastRestore()
    {
        string log = Path.Combine(_world.Root, "web.log");
        File.WriteAllLines(log,
        [
            "t0 domain web: restoring from /old.save",
            "t1 domain web: restored from /old.save: old",
            "t2 build: guest memory done at 1.0 ms",
            "t3 domain web: restoring from /x.save",
            "t4 domain web: restored from /x.save: 3 data pages …; restore-to-running 4.2 ms (build 1.0 ms)",
            "t5 domain web: some device line",
            "t6 domain web: verified the memory images of /x.save: 3 chunks",
        ]);
        Assert.Equal(["t2 build: guest memory done at 1.0 ms", "t3 domain web: restoring from /x.save",
                "t4 domain web: restored from /x.save: 3 data pages …; restore-to-running 4.2 ms (build 1.0 ms)",
                "t6 domain web: verified the memory images of /x.save: 3 chunks"],
            RestoreCommand.RestoreLogLines(log));
    }

    [Fact]
    public void RestoreOfAFileWithACorruptOrMissingRecordIsRefusedBeforeAnyDomainProcessStarts()
    {
        var bytes = SavedHeaderAndConfig("web");
        File.WriteAllBytes(SaveFile, bytes[..^10]);
        Assert.Equal(1, RestoreCommand.Run([SaveFile], _err, _world.Context));
        Assert.Contains("truncated", _err.ToString());
        bytes[^8] ^= 1; // inside the End record
        File.WriteAllBytes(SaveFile, bytes);
        Assert.Equal(1, RestoreCommand.Run([SaveFile], _err, _world.Context));
        Assert.Contains("End", _err.ToString());
        Assert.Contains("offset", _err.ToString());
        Assert.False(Directory.Exists(_world.Context.DirectoryFor("web").Path));
    }

    // A complete file without memory images or state records: the toolstack checks the records (the domain process,
    // which is not started here, would refuse the missing vCPU state).
    private static byte[] SavedHeaderAndConfig(string name, string? json = null)
    {
        json ??= DomainSpecJson.Serialize(ToolstackFixture.Spec(name, 7));
        using var output = new MemoryStream();
        using (var w = new SaveStreamWriter(output, new SaveHeader(name, Guid.NewGuid())))
        {
            w.WriteDomainConfig(System.Text.Encoding.UTF8.GetBytes(json));
            w.WriteMemoryRegionMap([new MemoryRegionEntry(0, 1 << 20)]);
            w.WriteEnd();
        }
        return output.ToArray();
    }
}
