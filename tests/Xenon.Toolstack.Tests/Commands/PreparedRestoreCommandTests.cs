using Xenon.Domain;
using Xenon.Domain.Process;
using Xenon.Domain.Save;
using Xenon.Domain.SaveRestore;
using Xenon.Toolstack.Commands;
using Xenon.Toolstack.Tests.XenStore;

namespace Xenon.Toolstack.Tests.Commands;

/// <summary>xenon restore into a prepared domain: the toolstack against the domain process's real socket side
/// (<see cref="PreparedRestore"/>) in a fake runtime directory; the build and restore themselves are the nested bench's.</summary>
public sealed class PreparedRestoreCommandTests : IDisposable
{
    private readonly ToolstackFixture _world = new(startStore: false);
    private readonly StringWriter _err = new();
    private readonly List<string> _log = [];

    public void Dispose() => _world.Dispose();

    private string SaveFile => Path.Combine(_world.Root, "web.save");

    /// <summary>A live domain "web" (id 4) that waits, prepared, on its restore.sock.</summary>
    private (DomainRuntimeDirectory Dir, PreparedRestore Prepared) PreparedWeb(DomainSpec? spec = null)
    {
        var dir = _world.AddDomain(spec ?? ToolstackFixture.Spec("web", 4));
        PreparedRestore.WriteRequest(dir);
        var prepared = PreparedRestore.For(dir, m => { lock (_log) _log.Add(m); })!;
        dir.WriteFile("state", PreparedRestore.PreparedState + "\n");
        return (dir, prepared);
    }

    private void SaveOf(DomainSpec spec)
    {
        using var output = File.Create(SaveFile);
        using var w = new SaveStreamWriter(output, new SaveHeader(spec.Name, spec.Uuid));
        w.WriteDomainConfig(System.Text.Encoding.UTF8.GetBytes(DomainSpecJson.Serialize(spec)));
        w.WriteMemoryRegionMap([new MemoryRegionEntry(0, 1 << 20)]);
        w.WriteEnd();
    }

    [Fact]
    public async Task ARestoreOfTheSameMachineGoesIntoThePreparedDomain()
    {
        var (dir, prepared) = PreparedWeb();
        using var owned = prepared;
        var served = Task.Run(() =>
        {
            var request = prepared.WaitForRequest(out _);
            prepared.Answer(request!.Paused ? "paused" : "running");
            return request;
        }, TestContext.Current.CancellationToken);
        // Saved from another domain id and uuid: a restore gives the domain a new id anyway.
        SaveOf(ToolstackFixture.Spec("web", 9));
        Assert.Equal(0, RestoreCommand.Run(["-p", "-e", SaveFile], _err, _world.Context));
        var request = await served.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal(new RestoreRequest(SaveFile, Paused: true) { NoMonitor = true }, request);
        Assert.Contains($"Restored domain web (id 4) from {SaveFile} into the prepared domain", _err.ToString());
        Assert.Contains(", paused", _err.ToString());
        // Nothing was registered anew: the prepared domain's directory and id stay.
        Assert.Equal(4, DomainSpecJson.Deserialize(File.ReadAllText(dir.SpecFile), dir.SpecFile).DomId);
        Assert.False(File.Exists(Path.Combine(dir.Path, RestoreRequestFile.FileName)));
    }

    [Theory]
    [InlineData(512, 1, "memory 512/512 MiB, prepared 128/256")]
    [InlineData(128, 2, "vcpus 2/2, prepared 1/1")]
    public async Task ASaveOfAnotherMachineIsRefusedAndThePreparedDomainKeepsWaiting(int memory, int vcpus, string what)
    {
        var (_, prepared) = PreparedWeb();
        using var owned = prepared;
        var served = Task.Run(() => prepared.WaitForRequest(out _), TestContext.Current.CancellationToken);
        SaveOf(ToolstackFixture.Spec("web", 9, vcpus) with { MemoryMiB = (ulong)memory, MaxMemoryMiB = (ulong)Math.Max(memory, 256) });
        Assert.Equal(1, RestoreCommand.Run([SaveFile], _err, _world.Context));
        Assert.True(_err.ToString().Contains($"domain web (id 4) is prepared for another machine: {what}; it keeps waiting"), _err.ToString());
        Assert.False(served.IsCompleted);
        prepared.Cancel();
        Assert.Null(await served.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task AFailedRestoreIsReportedAndTheDomainForgottenOnceItsProcessEnds()
    {
        var (dir, prepared) = PreparedWeb();
        using var owned = prepared;
        var served = Task.Run(() =>
        {
            prepared.WaitForRequest(out _);
            // As the domain process does: the answer, then its end.
            dir.WriteFile("outcome", "Error 1 boom\n");
            prepared.Answer(PreparedRestore.ErrorPrefix + "web.save: record 3 at offset 96 (0x60): bad CRC");
        }, TestContext.Current.CancellationToken);
        SaveOf(ToolstackFixture.Spec("web", 9));
        Assert.Equal(1, RestoreCommand.Run([SaveFile], _err, _world.Context));
        await served.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Contains("cannot restore domain web: web.save: record 3 at offset 96 (0x60): bad CRC", _err.ToString());
    }

    [Fact]
    public void ADomainOfThatNameThatIsNotPreparedIsInUseAsBefore()
    {
        _world.AddDomain(ToolstackFixture.Spec("web", 2));
        SaveOf(ToolstackFixture.Spec("web", 9));
        Assert.Equal(1, RestoreCommand.Run([SaveFile], _err, _world.Context));
        Assert.Contains("domain name 'web' is already in use", _err.ToString());
    }

    [Fact]
    public void APreparedDomainStillBeingBuiltIsNotHandedTheFile()
    {
        var dir = _world.AddDomain(ToolstackFixture.Spec("web", 4));
        PreparedRestore.WriteRequest(dir);
        Assert.Null(PreparedRestoreCommand.Find(_world.Context, "web"));
        dir.WriteFile("state", "prepared\n");
        Assert.NotNull(PreparedRestoreCommand.Find(_world.Context, "web"));
    }

    [Theory]
    [InlineData(new[] { "--prepare", "web.cfg", "web.save" }, "--prepare CONFIG takes no file")]
    [InlineData(new[] { "-p", "--prepare", "web.cfg" }, "--prepare CONFIG takes no file and no -p")]
    [InlineData(new[] { "--prepare" }, "prepare")]
    [InlineData(new[] { "--prepare", "/nonexistent/web.cfg" }, "/nonexistent/web.cfg")]
    public void PrepareRefusesBadArguments(string[] args, string expected)
    {
        Assert.Equal(1, RestoreCommand.Run(args, _err, _world.Context));
        Assert.Contains(expected, _err.ToString());
        Assert.False(Directory.Exists(_world.Context.DomainsDirectory) && Directory.EnumerateDirectories(_world.Context.DomainsDirectory).Any());
    }
}
