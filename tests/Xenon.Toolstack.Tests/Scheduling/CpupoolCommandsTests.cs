using Xenon.Domain.Process;
using Xenon.Toolstack.Commands;
using Xenon.Toolstack.Scheduling;
using Xenon.Toolstack.Tests.XenStore;

namespace Xenon.Toolstack.Tests.Scheduling;

/// <summary>The cpupool commands, list -c/-l, sched-credit by pool, vcpu-pin within a pool and the restart
/// placement, against fake domains, a fake v1 cgroup tree (cpu and cpuset) and a stand-in vCPU thread in a process
/// of its own.</summary>
public sealed class CpupoolCommandsTests : IDisposable
{
    private readonly ToolstackFixture _world = new();
    private readonly string _cg = Directory.CreateTempSubdirectory("xenon-poolcg-").FullName;
    private readonly ToolstackContext _context;
    private readonly StringWriter _out = new();
    private readonly StringWriter _err = new();

    public CpupoolCommandsTests()
    {
        Directory.CreateDirectory(Path.Combine(_cg, "cpu"));
        Directory.CreateDirectory(Path.Combine(_cg, "cpuset"));
        File.WriteAllText(Path.Combine(_cg, "cpuset", "cpuset.cpus"), "0-3\n");
        File.WriteAllText(Path.Combine(_cg, "cpuset", "cpuset.mems"), "0\n");
        _context = _world.Context with
        {
            Cgroup = new CpuCgroup(Path.Combine(_cg, "cpu"), CgroupVersion.V1),
            Cpuset = new CpusetCgroup(Path.Combine(_cg, "cpuset"), CgroupVersion.V1),
            HostCpus = 4,
        };
    }

    public void Dispose()
    {
        _world.Dispose();
        Directory.Delete(_cg, recursive: true);
    }

    private string[] OutLines => _out.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private string CpusetOf(int domId) => File.ReadAllText(Path.Combine(_cg, "cpuset", "xenon", $"{domId}", "cpuset.cpus")).Trim();

    private void Clear()
    {
        _out.GetStringBuilder().Clear();
        _err.GetStringBuilder().Clear();
    }

    // Pool-0 {0,1}, p1 {2,3} (credit2).
    private void MakeP1(ToolstackContext? context = null)
    {
        var c = context ?? _context;
        Assert.Equal(0, CpupoolCommands.CpuRemove(["Pool-0", "2-3"], _err, c));
        Assert.Equal(0, CpupoolCommands.Create(["name=\"p1\"", "sched=\"credit2\"", "cpus=\"2,3\""], _out, _err, c));
        Assert.Equal("", _err.ToString());
        Clear();
    }

    [Fact]
    public void ListShowsXlsTableAndCpuLists()
    {
        Assert.Equal(0, CpupoolCommands.List([], _out, _err, _context));
        Assert.Equal(["Name               CPUs   Sched     Active   Domain count", "Pool-0               4    credit       y          1"], OutLines);
        MakeP1();
        _world.AddDomain(ToolstackFixture.Spec("web", 2));
        Assert.Equal(0, CpupoolCommands.List([], _out, _err, _context));
        Assert.Equal("Pool-0               2    credit       y          2", OutLines[1]);
        Assert.Equal("p1                   2   credit2       y          0", OutLines[2]);
        Clear();
        Assert.Equal(0, CpupoolCommands.List(["-c"], _out, _err, _context));
        Assert.Equal(["Name               CPU list", "Pool-0             0,1", "p1                 2,3"], OutLines);
        Clear();
        Assert.Equal(0, CpupoolCommands.List(["--cpus", "1"], _out, _err, _context));
        Assert.Equal(["Name               CPU list", "p1                 2,3"], OutLines);
        Assert.Equal(1, CpupoolCommands.List(["nope"], _out, _err, _context));
        Assert.Contains("Pool 'nope' does not exist", _err.ToString());
    }

    [Fact]
    public void CreatePrintsXlsSummaryPersistsAndDryRunDoesNot()
    {
        Assert.Equal(0, CpupoolCommands.CpuRemove(["Pool-0", "3"], _err, _context));
        string file = Path.Combine(_world.Root, "fast.cfg");
        File.WriteAllText(file, "sched = \"credit\"\ncpus = [\"3\"]\n");
        Assert.Equal(0, CpupoolCommands.Create(["-n", file], _out, _err, _context));
        Assert.Equal([$"Using config file \"{file}\"", "cpupool name:   fast.cfg", "scheduler:      credit", "number of cpus: 1"], OutLines);
        Assert.Single(_context.LoadPools().Pools);
        Clear();
        Assert.Equal(0, CpupoolCommands.Create([file, "name=\"fast\""], _out, _err, _context));
        // Another invocation (a fresh context) sees it: the state is the runtime root's cpupools.json.
        var later = _world.Context with { HostCpus = 4, NoCpuset = true };
        Assert.Equal([3], later.LoadPools().Find("fast")!.Cpus);
        Assert.True(File.Exists(Path.Combine(_context.RunRoot, CpuPoolTable.FileName)));
    }

    [Theory]
    [InlineData(new[] { "cpus=\"1\"" }, "Missing cpupool name!")]
    [InlineData(new[] { "name=\"Pool-0\"" }, "Pool name \"Pool-0\" already exists")]
    [InlineData(new[] { "name=\"x\"", "sched=\"rtds\"" }, "Unknown scheduler")]
    [InlineData(new[] { "name=\"x\"", "cpus=\"1\"" }, "cpu 1 illegal or not free")]
    [InlineData(new[] { "name=\"x\"", "cpus=[\"1\"]" }, "cpu 1 illegal or not free")]
    [InlineData(new[] { "name=\"x\"", "cpus=\"9-3\"" }, "Invalid pcpu range: 9-3.")]
    [InlineData(new[] { "name=\"x\"", "nodes=[\"0\"]" }, "no free cpu found")]
    [InlineData(new[] { "name=" }, "Failed to parse config file")]
    [InlineData(new[] { "/nonexistent/pool.cfg" }, "Failed to parse config file")]
    [InlineData(new[] { "a.cfg", "b.cfg" }, "Usage: xenon cpupool-create")]
    [InlineData(new[] { "-q" }, "unknown option '-q'")]
    public void CreateErrorsAreXlsAndCreateNothing(string[] args, string message)
    {
        Assert.Equal(1, CpupoolCommands.Create(args, _out, _err, _context));
        Assert.Contains(message, _err.ToString());
        Assert.Single(_context.LoadPools().Pools);
    }

    [Fact]
    public void CpuAddAndRemoveReportEachCpuTheyCouldNotMove()
    {
        MakeP1();
        Assert.Equal(1, CpupoolCommands.CpuAdd(["p1", "1-2"], _err, _context));
        Assert.Contains("libxl: error: Error moving cpu 1 to cpupool: Device or resource busy (it is in Pool-0)", _err.ToString());
        Assert.Contains("some cpus may not have been added to p1", _err.ToString());
        Clear();
        Assert.Equal(1, CpupoolCommands.CpuRemove(["Pool-0", "0-1"], _err, _context));
        Assert.Contains("Error removing cpu 1 from cpupool: Device or resource busy (the last CPU of a pool with domains)", _err.ToString());
        Assert.Contains("Some cpus may have not or only partially been removed from 'Pool-0'.", _err.ToString());
        Assert.Contains("If a cpu can't be added to another cpupool, add it to 'Pool-0' again and retry.", _err.ToString());
        Assert.Equal([1], _context.LoadPools().Pool0.Cpus);
        Clear();
        // node:0 is every CPU: the free one joins, p1's stay there.
        Assert.Equal(1, CpupoolCommands.CpuAdd(["Pool-0", "node:0"], _err, _context));
        Assert.Equal([0, 1], _context.LoadPools().Pool0.Cpus);
        Assert.Equal([2, 3], _context.LoadPools().Find("p1")!.Cpus);
        Assert.Equal(1, CpupoolCommands.CpuAdd(["nope", "1"], _err, _context));
        Assert.Contains("unknown cpupool 'nope'", _err.ToString());
        Assert.Equal(1, CpupoolCommands.CpuAdd(["p1", "x"], _err, _context));
        Assert.Contains("Invalid pcpu range: x.", _err.ToString());
        Assert.Equal(1, CpupoolCommands.CpuAdd(["p1"], _err, _context));
        Assert.Contains(CpupoolCommands.CpuAddUsage, _err.ToString());
        Assert.Equal(1, CpupoolCommands.CpuRemove(["p1", "node:1"], _err, _context));
        Assert.Contains("Invalid node range", _err.ToString());
    }

    [Fact]
    public void MigrateConfinesTheDomainAndAPoolWithDomainsStays()
    {
        using var vcpu = new VcpuStandIn();
        var host = _context with { HostCpus = Environment.ProcessorCount };
        if (Environment.ProcessorCount < 2) Assert.Skip("needs two host CPUs");
        File.WriteAllText(Path.Combine(_cg, "cpuset", "cpuset.cpus"), $"0-{Environment.ProcessorCount - 1}\n");
        Assert.Equal(0, CpupoolCommands.CpuRemove(["Pool-0", "1"], _err, host));
        Assert.Equal(0, CpupoolCommands.Create(["name=\"p1\"", "cpus=\"1\""], _out, _err, host));
        var dir = _world.AddDomain(ToolstackFixture.Spec("spin", 3), pid: vcpu.Pid);

        Assert.Equal(0, CpupoolCommands.Migrate(["spin", "p1"], _err, host));
        Assert.Equal("", _err.ToString());
        Assert.Equal("1", vcpu.Affinity());
        Assert.Equal("1", CpusetOf(3));
        Assert.Equal($"{vcpu.Pid}", File.ReadAllText(Path.Combine(_cg, "cpuset", "xenon", "3", "cgroup.procs")).Trim());
        Assert.Equal(1, DomainPolicy.Load(dir).Pool);

        Assert.Equal(1, CpupoolCommands.Destroy(["p1"], _err, host));
        Assert.Contains("Can't destroy cpupool 'p1'", _err.ToString());
        Assert.Equal(1, CpupoolCommands.CpuRemove(["p1", "1"], _err, host));

        // list -c and sched-credit show the pool.
        Clear();
        Assert.Equal(0, ListCommand.Run(["-c", "spin"], _out, _err, host));
        Assert.EndsWith("         Cpupool", OutLines[0]);
        Assert.EndsWith($"{"p1",16}", OutLines[1]);
        Clear();
        Assert.Equal(0, SchedCreditCommand.Run(["-p", "p1"], _out, _err, host, credit2: false));
        Assert.Equal(["Cpupool p1: tslice=30ms ratelimit=1000us migration-delay=0us", SchedCreditCommand.Header,
            SchedCreditCommand.Row("spin", 3, 256, 0)], OutLines);
        Clear();
        Assert.Equal(0, SchedCreditCommand.Run([], _out, _err, host, credit2: false));
        Assert.Equal(6, OutLines.Length);
        Assert.Equal(SchedCreditCommand.Row("Domain-0", 0, 256, 0), OutLines[2]);

        // A pin outside the pool is refused; inside, it holds within the pool.
        Assert.Equal(1, VcpuPinCommand.Run(["spin", "0", "0"], _err, host));
        Assert.Contains("Could not set affinity for vcpu `0'.", _err.ToString());
        Assert.Equal(0, VcpuPinCommand.Run(["spin", "0", "all"], _err, host));
        Assert.Equal("1", vcpu.Affinity());

        Clear();
        Assert.Equal(0, CpupoolCommands.Migrate(["3", "Pool-0"], _err, host));
        Assert.Equal("0", vcpu.Affinity());
        Assert.Equal("0", CpusetOf(3));
        Assert.Equal(0, CpupoolCommands.Destroy(["p1"], _err, host));
        Assert.Null(host.LoadPools().Find("p1"));
    }

    [Fact]
    public void APoolsNewCpusReachItsDomains()
    {
        using var vcpu = new VcpuStandIn();
        if (Environment.ProcessorCount < 2) Assert.Skip("needs two host CPUs");
        var host = _context with { HostCpus = Environment.ProcessorCount };
        _world.AddDomain(ToolstackFixture.Spec("spin", 3), pid: vcpu.Pid);
        Assert.Equal(0, CpupoolCommands.CpuRemove(["Pool-0", "1"], _err, host));
        Assert.Equal("0", vcpu.Affinity());
        Assert.Equal("0", CpusetOf(3));
        Assert.Equal(0, CpupoolCommands.CpuAdd(["Pool-0", "1"], _err, host));
        Assert.Equal("0-1", vcpu.Affinity());
        Assert.Equal("0-1", CpusetOf(3));
    }

    [Fact]
    public void RestartPlacementPinsTheNewVcpuThreadsWithinThePool()
    {
        using var vcpu = new VcpuStandIn();
        if (Environment.ProcessorCount < 2) Assert.Skip("needs two host CPUs");
        var host = _context with { HostCpus = Environment.ProcessorCount };
        var dir = _world.AddDomain(ToolstackFixture.Spec("spin", 3), pid: vcpu.Pid);
        // No policy yet (a created domain's first start): nothing is touched.
        Assert.Empty(RestartPlacement.Apply(dir, vcpu.Pid, 1, host));
        Assert.Equal($"0-{Environment.ProcessorCount - 1}", vcpu.Affinity());
        new DomainPolicy { HardAffinity = ["1"] }.Save(dir);
        Assert.Empty(RestartPlacement.Apply(dir, vcpu.Pid, 1, host));
        Assert.Equal("1", vcpu.Affinity());
        Assert.Equal(Path.GetDirectoryName(Path.GetDirectoryName(dir.Path)), RestartPlacement.RunRootOf(dir));
    }

    [Theory]
    [InlineData(new[] { "nope", "Pool-0" }, "unknown domain 'nope'")]
    [InlineData(new[] { "web", "nope" }, "unknown cpupool 'nope'")]
    [InlineData(new[] { "Domain-0", "Pool-0" }, "Domain-0 is the host")]
    [InlineData(new[] { "web" }, "Usage: xenon cpupool-migrate")]
    [InlineData(new[] { "web", "empty" }, "cpupool empty has no CPUs")]
    public void MigrateErrors(string[] args, string message)
    {
        _world.AddDomain(ToolstackFixture.Spec("web", 2));
        Assert.Equal(0, CpupoolCommands.Create(["name=\"empty\""], _out, _err, _context));
        Assert.Equal(1, CpupoolCommands.Migrate(args, _err, _context));
        Assert.Contains(message, _err.ToString());
    }

    [Fact]
    public void DestroyAndRenameErrors()
    {
        MakeP1();
        Assert.Equal(1, CpupoolCommands.Destroy(["Pool-0"], _err, _context));
        Assert.Contains("Can't destroy cpupool 'Pool-0'", _err.ToString());
        Assert.Equal(1, CpupoolCommands.Destroy(["nope"], _err, _context));
        Assert.Contains("unknown cpupool 'nope'", _err.ToString());
        Assert.Equal(1, CpupoolCommands.Destroy([], _err, _context));
        Assert.Contains(CpupoolCommands.DestroyUsage, _err.ToString());
        Assert.Equal(1, CpupoolCommands.Rename(["p1", "Pool-0"], _err, _context));
        Assert.Contains("Can't rename cpupool 'p1'", _err.ToString());
        Assert.Equal(0, CpupoolCommands.Rename(["p1", "fast"], _err, _context));
        Assert.Equal(0, CpupoolCommands.Destroy(["fast"], _err, _context));
        Assert.Equal([2, 3], _context.LoadPools().FreeCpus(4));
    }

    [Fact]
    public void CreateWithPoolRecordsItAndListLongShowsLibxlsJson()
    {
        MakeP1();
        var dir = _world.AddDomain(ToolstackFixture.Spec("web", 2));
        File.WriteAllText(Path.Combine(dir.Path, ListCommand.LibxlConfigFile),
            "{\"c_info\":{\"type\":\"pvh\",\"name\":\"old\",\"pool_name\":\"p1\"},\"b_info\":{\"max_vcpus\":1}}");
        var live = new Toolstack.Domains.DomainRegistry(_context).Find("web")!;
        DomainScheduling.ApplyAtCreate(_context, live, null, null, [], TimeSpan.Zero, pool: 1);
        Assert.Equal(1, DomainPolicy.Load(dir).Pool);
        Assert.Equal("2-3", CpusetOf(2));
        Assert.Equal(0, ListCommand.Run(["-l"], _out, _err, _context));
        using var doc = System.Text.Json.JsonDocument.Parse(_out.ToString());
        var config = doc.RootElement[0].GetProperty("config");
        Assert.Equal(2, doc.RootElement[0].GetProperty("domid").GetInt32());
        Assert.Equal("web", config.GetProperty("c_info").GetProperty("name").GetString());
        Assert.Equal(1, config.GetProperty("c_info").GetProperty("poolid").GetInt32());
        Assert.Equal("p1", config.GetProperty("c_info").GetProperty("pool_name").GetString());
        Assert.Equal(1, config.GetProperty("b_info").GetProperty("max_vcpus").GetInt32());

        // A domain without config.json (restored) shows its spec.
        File.Delete(Path.Combine(dir.Path, ListCommand.LibxlConfigFile));
        Clear();
        Assert.Equal(0, ListCommand.Run(["-l", "web"], _out, _err, _context));
        Assert.Contains("\"kernel\"", _out.ToString());
    }
}
