using System.Text.Json;
using Xenon.Toolstack.Commands;
using Xenon.Toolstack.Tests.XenStore;

namespace Xenon.Toolstack.Tests.Commands;

/// <summary>The xl subcommands against fake domains (runtime directories + fake control sockets) and a real xenstored.</summary>
public sealed class DomainCommandsTests : IDisposable
{
    private readonly ToolstackFixture _world = new();
    private readonly StringWriter _out = new();
    private readonly StringWriter _err = new();

    public void Dispose() => _world.Dispose();

    private string[] OutLines => _out.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void ListShowsDomain0AndDomainsInIdOrder()
    {
        _world.AddDomain(ToolstackFixture.Spec("web", 2, vcpus: 2), control: true);
        _world.AddDomain(ToolstackFixture.Spec("db", 1));
        Assert.Equal(0, ListCommand.Run([], _out, _err, _world.Context));
        var lines = OutLines;
        Assert.Equal(XlFormat.ListHeader, lines[0]);
        Assert.StartsWith("Domain-0                                     0 ", lines[1]);
        Assert.EndsWith(" r-----  " + lines[1][^8..], lines[1]);
        Assert.StartsWith("db                                           1   128     1     ", lines[2]);
        // web's memory comes from its control socket's info (memory_mib 100).
        Assert.StartsWith("web                                          2   100     2     ", lines[3]);
        Assert.Equal(4, lines.Length);
        // list mirrored the domains into XenStore.
        using var c = _world.Client();
        Assert.Equal("web", c.Read("/local/domain/2/name"));
    }

    [Fact]
    public void ListOfOneDomainAndOfUnknownOnes()
    {
        _world.AddDomain(ToolstackFixture.Spec("web", 2));
        Assert.Equal(0, ListCommand.Run(["web"], _out, _err, _world.Context));
        Assert.Equal(2, OutLines.Length);
        Assert.StartsWith("web ", OutLines[1]);
        Assert.Equal(1, ListCommand.Run(["nope"], _out, _err, _world.Context));
        Assert.Contains("nope is an invalid domain identifier (rc=-6)", _err.ToString());
        Assert.Equal(1, ListCommand.Run(["a", "b"], _out, _err, _world.Context));
        Assert.Equal(1, ListCommand.Run(["-x"], _out, _err, _world.Context));
        Assert.Contains("unknown option '-x'", _err.ToString());
    }

    [Fact]
    public void ListVerboseAndLong()
    {
        var spec = ToolstackFixture.Spec("web", 2);
        _world.AddDomain(spec);
        Assert.Equal(0, ListCommand.Run(["-v"], _out, _err, _world.Context));
        Assert.Equal(XlFormat.ListHeader + XlFormat.ListVerboseHeader, OutLines[0]);
        Assert.Contains(spec.Uuid.ToString("D"), OutLines[2]);

        var json = new StringWriter();
        Assert.Equal(0, ListCommand.Run(["-l"], json, _err, _world.Context));
        using var doc = JsonDocument.Parse(json.ToString());
        var d = Assert.Single(doc.RootElement.EnumerateArray());
        Assert.Equal(2, d.GetProperty("domid").GetInt32());
        Assert.Equal("web", d.GetProperty("config").GetProperty("name").GetString());
    }

    [Fact]
    public void DomidAndDomname()
    {
        _world.AddDomain(ToolstackFixture.Spec("web", 5));
        Assert.Equal(0, DomainQueryCommands.DomId(["web"], _out, _err, _world.Context));
        Assert.Equal(0, DomainQueryCommands.DomId(["Domain-0"], _out, _err, _world.Context));
        Assert.Equal(0, DomainQueryCommands.DomName(["5"], _out, _err, _world.Context));
        Assert.Equal(0, DomainQueryCommands.DomName(["0"], _out, _err, _world.Context));
        Assert.Equal(["5", "0", "web", "Domain-0"], OutLines);

        Assert.Equal(1, DomainQueryCommands.DomId(["nope"], _out, _err, _world.Context));
        Assert.Equal(1, DomainQueryCommands.DomId(["5"], _out, _err, _world.Context)); // ids are not names
        Assert.Equal(1, DomainQueryCommands.DomName(["6"], _out, _err, _world.Context));
        Assert.Equal(1, DomainQueryCommands.DomName(["x"], _out, _err, _world.Context));
        Assert.Equal(1, DomainQueryCommands.DomId([], _out, _err, _world.Context));
        string err = _err.ToString();
        Assert.Contains("Can't get domid of domain name 'nope', maybe this domain does not exist.", err);
        Assert.Contains("Can't get domain name of domain id '6', maybe this domain does not exist.", err);
        Assert.Contains("Invalid domain id.", err);
        Assert.Contains(DomainQueryCommands.DomidUsage, err);
    }

    [Fact]
    public void UptimeUsesTheStartTimeInXenStore()
    {
        var spec = ToolstackFixture.Spec("web", 2);
        _world.AddDomain(spec);
        using (var c = _world.Client())
            new Xenon.Toolstack.XenStore.DomainStoreRecords(c).Publish(spec, Xenon.Toolstack.XenStore.DomainStoreRecords.Now() - 3725, "/s");
        Assert.Equal(0, DomainQueryCommands.Uptime(["web"], _out, _err, _world.Context));
        Assert.Equal(XlFormat.UptimeHeader, OutLines[0]);
        Assert.Matches(@"^web +2  1:02:0[5-9]$", OutLines[1]);

        _out.GetStringBuilder().Clear();
        Assert.Equal(0, DomainQueryCommands.Uptime(["-s"], _out, _err, _world.Context));
        Assert.Equal(2, OutLines.Length);
        Assert.Matches(@"^ \d\d:\d\d:\d\d up .*, Domain-0 \(0\)$", OutLines[0]);
        Assert.Matches(@"^ \d\d:\d\d:\d\d up  1:02, web \(2\)$", OutLines[1]);

        Assert.Equal(1, DomainQueryCommands.Uptime(["nope"], _out, _err, _world.Context));
        Assert.Contains("nope is an invalid domain identifier", _err.ToString());
    }

    [Fact]
    public void RenameMovesTheDomainAndXenStoreFollows()
    {
        var spec = ToolstackFixture.Spec("old", 3);
        _world.AddDomain(spec, control: true);
        Assert.Equal(0, RenameCommand.Run(["old", "new"], _err, _world.Context));
        Assert.True(Directory.Exists(_world.Context.DirectoryFor("new").Path));
        Assert.False(Directory.Exists(_world.Context.DirectoryFor("old").Path));
        using var c = _world.Client();
        Assert.Equal("new", c.Read("/local/domain/3/name"));
        Assert.Equal("new", c.Read($"/vm/{spec.Uuid:D}/name"));
        Assert.Equal(0, DomainQueryCommands.DomId(["new"], _out, _err, _world.Context));
        Assert.Equal("3", OutLines[0]);
    }

    [Fact]
    public void RenameRefusesTakenInvalidAndUnknownNames()
    {
        _world.AddDomain(ToolstackFixture.Spec("a", 1), control: true);
        _world.AddDomain(ToolstackFixture.Spec("b", 2), control: true);
        Assert.Equal(1, RenameCommand.Run(["a", "b"], _err, _world.Context));
        Assert.Contains("domain with name \"b\" already exists.", _err.ToString());
        Assert.Contains("Can't rename domain 'a'.", _err.ToString());
        Assert.Equal(1, RenameCommand.Run(["a", "12"], _err, _world.Context));
        Assert.Equal(1, RenameCommand.Run(["a", "x/y"], _err, _world.Context));
        Assert.Equal(1, RenameCommand.Run(["a", "Domain-0"], _err, _world.Context));
        Assert.Equal(1, RenameCommand.Run(["Domain-0", "c"], _err, _world.Context));
        Assert.Equal(1, RenameCommand.Run(["zz", "c"], _err, _world.Context));
        Assert.Equal(1, RenameCommand.Run(["a"], _err, _world.Context));
        Assert.Contains("zz is an invalid domain identifier", _err.ToString());
        Assert.True(Directory.Exists(_world.Context.DirectoryFor("a").Path));
        Assert.DoesNotContain(_world.ControlLog, l => l.Contains("rename", StringComparison.Ordinal));
    }

    [Fact]
    public void RebootDestroyAndMemSetReachTheDomainByNameOrId()
    {
        _world.AddDomain(ToolstackFixture.Spec("web", 4), control: true);
        Assert.Equal(0, DomainControlCommands.Reboot(["web"], _err, _world.Context));
        Assert.Equal(0, DomainControlCommands.Reboot(["-F", "4"], _err, _world.Context));
        Assert.Equal(0, DomainControlCommands.MemSet(["4", "96m"], _err, _world.Context));
        using (var c = _world.Client()) Assert.Equal("98304", c.Read("/local/domain/4/memory/target"));
        Assert.Equal(0, DomainControlCommands.Destroy(["web"], _err, _world.Context));
        Assert.Equal(
            ["web:{\"cmd\":\"reboot\"}", "web:{\"cmd\":\"reboot\"}", "web:{\"cmd\":\"mem-set\",\"target_mib\":96}", "web:{\"cmd\":\"destroy\"}"],
            _world.ControlLog);
        // The domain is gone (outcome written): gone from XenStore too.
        using (var c = _world.Client()) Assert.Null(c.Read("/local/domain/4/name"));
        Assert.Equal(1, DomainControlCommands.Destroy(["web"], _err, _world.Context));
        Assert.Contains("web is an invalid domain identifier (rc=-6)", _err.ToString());
    }

    [Fact]
    public void PauseAndUnpauseReachTheDomainAndRefuseBadArguments()
    {
        _world.AddDomain(ToolstackFixture.Spec("web", 4), control: true);
        Assert.Equal(0, DomainControlCommands.Pause(["web"], _err, _world.Context));
        Assert.Equal(0, DomainControlCommands.Unpause(["4"], _err, _world.Context));
        Assert.Equal(["web:{\"cmd\":\"pause\"}", "web:{\"cmd\":\"unpause\"}"], _world.ControlLog);
        Assert.Equal(1, DomainControlCommands.Pause([], _err, _world.Context));
        Assert.Contains(DomainControlCommands.PauseUsage, _err.ToString());
        Assert.Equal(1, DomainControlCommands.Pause(["Domain-0"], _err, _world.Context));
        Assert.Contains("Domain-0 (the host) cannot be paused", _err.ToString());
        Assert.Equal(1, DomainControlCommands.Unpause(["nope"], _err, _world.Context));
        Assert.Contains("nope", _err.ToString());
    }

    [Fact]
    public void ControlCommandsRejectBadArguments()
    {
        Assert.Equal(1, DomainControlCommands.Reboot([], _err, _world.Context));
        Assert.Equal(1, DomainControlCommands.Reboot(["nope"], _err, _world.Context));
        Assert.Equal(1, DomainControlCommands.Destroy(["Domain-0"], _err, _world.Context));
        Assert.Equal(1, DomainControlCommands.Shutdown(["-q", "x"], _err, _world.Context));
        Assert.Equal(1, DomainControlCommands.MemSet(["x", "lots"], _err, _world.Context));
        Assert.Contains(DomainControlCommands.RebootUsage, _err.ToString());
        Assert.Contains("nope is an invalid domain identifier", _err.ToString());
        Assert.Contains("invalid memory size \"lots\"", _err.ToString());
    }

    [Fact]
    public void ADomainWhoseProcessDiedIsForgotten()
    {
        // A pid that cannot be alive: the directory is stale, the domain is gone, its nodes go at the next command.
        var spec = ToolstackFixture.Spec("ghost", 7);
        using (var c = _world.Client()) new Xenon.Toolstack.XenStore.DomainStoreRecords(c).Publish(spec, 1, "/s");
        _world.AddDomain(spec, pid: int.MaxValue);
        Assert.Equal(0, ListCommand.Run([], _out, _err, _world.Context));
        Assert.DoesNotContain(OutLines, l => l.StartsWith("ghost", StringComparison.Ordinal));
        using var client = _world.Client();
        Assert.Null(client.Read("/local/domain/7"));
    }

    [Fact]
    public void VcpuListShowsVcpuThreadsAndOfflineVcpus()
    {
        using var stop = new ManualResetEventSlim();
        var t = new Thread(() => stop.Wait()) { Name = "vcpu0", IsBackground = true };
        t.Start();
        try
        {
            _world.AddDomain(ToolstackFixture.Spec("web", 2, vcpus: 1, maxVcpus: 2));
            Assert.Equal(0, VcpuListCommand.Run(["web"], _out, _err, _world.Context));
            var lines = OutLines;
            Assert.Equal(XlFormat.VcpuHeader, lines[0]);
            Assert.Matches(@"^web +2     0 +\d+   [r-][b-]-  +\d+\.\d  \S+ / all$", lines[1]);
            Assert.Equal(XlFormat.VcpuOfflineRow("web", 2, 1, "all", "all"), lines[2]);
        }
        finally
        {
            // Joined before the event is disposed: a thread still leaving Wait would otherwise throw on it.
            stop.Set();
            t.Join();
        }
        Assert.Equal(1, VcpuListCommand.Run(["nope"], _out, _err, _world.Context));
        _out.GetStringBuilder().Clear();
        Assert.Equal(0, VcpuListCommand.Run(["Domain-0"], _out, _err, _world.Context));
        Assert.StartsWith("Domain-0 ", OutLines[1]);
    }

    [Fact]
    public void InfoPrintsXlKeysAndOneKeyOnRequest()
    {
        Assert.Equal(0, InfoCommand.Run([], _out, _err, _world.Context));
        var text = _out.ToString();
        foreach (var key in new[] { "host", "release", "nr_cpus", "total_memory", "free_memory", "hypervisor" })
            Assert.Matches($"(?m)^{key} +: ", text);
        Assert.DoesNotContain("xen_version", text);
        _out.GetStringBuilder().Clear();
        Assert.Equal(0, InfoCommand.Run(["nr_cpus"], _out, _err, _world.Context));
        Assert.Matches(@"^nr_cpus {16}: \d+$", OutLines.Single());
        Assert.Equal(1, InfoCommand.Run(["no_such_key"], _out, _err, _world.Context));
        Assert.Contains("no such key 'no_such_key'", _err.ToString());
    }

    [Fact]
    public void ConsoleRefusesUnknownDomainsAndBadOptions()
    {
        _world.AddDomain(ToolstackFixture.Spec("web", 2));
        Assert.Equal(1, ConsoleCommand.Run(["nope"], _err, _world.Context));
        Assert.Equal(1, ConsoleCommand.Run(["-t", "vga", "web"], _err, _world.Context));
        Assert.Equal(1, ConsoleCommand.Run(["-n", "1", "web"], _err, _world.Context));
        Assert.Equal(1, ConsoleCommand.Run(["web"], _err, _world.Context)); // no console socket
        Assert.Equal(1, ConsoleCommand.Run([], _err, _world.Context));
        string err = _err.ToString();
        Assert.Contains("nope is an invalid domain identifier", err);
        Assert.Contains("console type 'vga' is not supported", err);
        Assert.Contains("has no console socket", err);
    }

    [Fact]
    public void LogShowsTheDomainsLogEvenAfterItEnded()
    {
        var dir = _world.AddDomain(ToolstackFixture.Spec("web", 2));
        File.WriteAllLines(_world.Context.LogFileFor("web"), ["one", "two", "three"]);
        Assert.Equal(0, LogCommand.Run(["web"], _out, _err, _world.Context));
        Assert.Equal(["one", "two", "three"], OutLines);
        _out.GetStringBuilder().Clear();
        Assert.Equal(0, LogCommand.Run(["-n", "1", "2"], _out, _err, _world.Context));
        Assert.Equal(["three"], OutLines);
        dir.WriteFile("outcome", "PowerOff 0 x\n");
        _out.GetStringBuilder().Clear();
        Assert.Equal(0, LogCommand.Run(["web"], _out, _err, _world.Context));
        Assert.Equal(3, OutLines.Length);
        Assert.Equal(1, LogCommand.Run(["nope"], _out, _err, _world.Context));
        Assert.Equal(1, LogCommand.Run(["-n", "x", "web"], _out, _err, _world.Context));
        Assert.Equal(1, LogCommand.Run(["../etc"], _out, _err, _world.Context));
        Assert.Contains("invalid number of lines \"x\"", _err.ToString());
    }
}
