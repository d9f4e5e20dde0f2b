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
    [InlineData(new[] { "web", "f", "cfg" }, "a replacement config file is not supported")]
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
    [InlineData(new[] { "cfg", "file" }, "a replacement config file is not supported")]
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

    // The toolstack reads only the header and the configuration record; the rest is the domain process's.
    private static byte[] SavedHeaderAndConfig(string name, string? json = null)
    {
        json ??= DomainSpecJson.Serialize(ToolstackFixture.Spec(name, 7));
        using var output = new MemoryStream();
        using (var w = new SaveStreamWriter(output, new SaveHeader(name, Guid.NewGuid())))
        {
            w.WriteDomainConfig(System.Text.Encoding.UTF8.GetBytes(json));
            w.Flush();
        }
        return output.ToArray();
    }
}
