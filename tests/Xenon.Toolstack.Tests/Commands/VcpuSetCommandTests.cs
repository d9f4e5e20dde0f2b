using Xenon.Toolstack.Commands;
using Xenon.Toolstack.Domains;
using Xenon.Toolstack.Scheduling;
using Xenon.Toolstack.Tests.XenStore;

namespace Xenon.Toolstack.Tests.Commands;

/// <summary>vcpu-set against fake domains (a fake control socket that answers vcpu-set and vcpus) and the in-process
/// xenstored: the request the domain gets, XenStore's cpu/I/availability, vcpu-list and list following it, xl's
/// errors; and the cpupools mirrored under /local/pool.</summary>
public sealed class VcpuSetCommandTests : IDisposable
{
    private readonly ToolstackFixture _world = new();
    private readonly StringWriter _out = new();
    private readonly StringWriter _err = new();

    public void Dispose() => _world.Dispose();

    private string? Availability(int domId, int cpu)
    {
        using var c = _world.Client();
        return c.Read($"/local/domain/{domId}/cpu/{cpu}/availability");
    }

    private string[] Availabilities(int domId) => [.. Enumerable.Range(0, 4).Select(i => Availability(domId, i) ?? "missing")];

    private void Publish()
    {
        using (Xenon.Toolstack.XenStore.XenStoreLauncher.Open(_world.Context, _err)) { }
    }

    [Fact]
    public void VcpuSetAsksTheDomainAndXenStoreFollows()
    {
        _world.AddDomain(ToolstackFixture.Spec("web", 3, vcpus: 2, maxVcpus: 4), control: true);
        Publish();
        Assert.Equal(["online", "online", "offline", "offline"], Availabilities(3));

        Assert.Equal(0, VcpuSetCommand.Run(["web", "4"], _err, _world.Context));
        Assert.Contains("web:{\"cmd\":\"vcpu-set\",\"vcpus\":4}", _world.ControlLog);
        Assert.Equal(["online", "online", "online", "online"], Availabilities(3));

        Assert.Equal(0, VcpuSetCommand.Run(["-i", "3", "1"], _err, _world.Context));
        Assert.Contains("web:{\"cmd\":\"vcpu-set\",\"vcpus\":1}", _world.ControlLog);
        Assert.Equal(["online", "offline", "offline", "offline"], Availabilities(3));
        Assert.Equal("", _err.ToString());
    }

    [Theory]
    [InlineData("5", "libxl: error: Domain 3:Requested 5 VCPUs, however maxcpus is 4!")]
    [InlineData("0", "libxl: error: Domain 3:Requested 0 VCPUs!")]
    [InlineData("two", "Error: Invalid argument.")]
    [InlineData("1x", "Error: Invalid argument.")]
    public void CountsOutsideOneToMaxvcpusAreRefusedAndNothingChanges(string count, string message)
    {
        _world.AddDomain(ToolstackFixture.Spec("web", 3, vcpus: 2, maxVcpus: 4), control: true);
        Publish();
        Assert.Equal(1, VcpuSetCommand.Run(["web", count], _err, _world.Context));
        Assert.Contains(message, _err.ToString());
        Assert.DoesNotContain(_world.ControlLog, l => l.Contains("vcpu-set", StringComparison.Ordinal));
        Assert.Equal(["online", "online", "offline", "offline"], Availabilities(3));
    }

    [Theory]
    [InlineData(new[] { "nope", "1" }, "")]
    [InlineData(new[] { "Domain-0", "1" }, "Domain-0's vCPUs are the host's CPUs")]
    [InlineData(new[] { "web" }, "Usage: xenon vcpu-set")]
    [InlineData(new[] { "web", "1", "2" }, "Usage: xenon vcpu-set")]
    public void BadDomainsAndArgumentsFail(string[] args, string message)
    {
        _world.AddDomain(ToolstackFixture.Spec("web", 3, vcpus: 2, maxVcpus: 4), control: true);
        Assert.Equal(1, VcpuSetCommand.Run(args, _err, _world.Context));
        Assert.Contains(message, _err.ToString());
        Assert.DoesNotContain(_world.ControlLog, l => l.Contains("vcpu-set", StringComparison.Ordinal));
    }

    [Fact]
    public void ADomainThatRefusesReportsItsReason()
    {
        // No control socket: the domain process cannot be reached.
        _world.AddDomain(ToolstackFixture.Spec("web", 3, vcpus: 2, maxVcpus: 4));
        Assert.Equal(1, VcpuSetCommand.Run(["web", "3"], _err, _world.Context));
        Assert.Contains("libxl_set_vcpuonline failed domid=3 max_vcpus=3: cannot reach the domain process", _err.ToString());
    }

    [Fact]
    public void VcpuListAndListShowTheOnlineCount()
    {
        _world.AddDomain(ToolstackFixture.Spec("web", 3, vcpus: 2, maxVcpus: 4), control: true);
        Assert.Equal(0, VcpuSetCommand.Run(["web", "3"], _err, _world.Context));
        var d = new DomainRegistry(_world.Context).Find("web")!;
        Assert.Equal([0, 1, 2], VcpuListCommand.OnlineVcpus(d)!.Order());

        // Every vCPU has a thread (those not online wait for a start-up IPI): the online set decides the rows.
        var threads = Enumerable.Range(0, 4).Select(i => new VcpuThreadInfo(i, 'S', 1, 0.5, "0-1")).ToList();
        VcpuListCommand.WriteDomain(_out, d, threads, 2, VcpuListCommand.OnlineVcpus(d));
        var rows = _out.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, rows.Length);
        Assert.DoesNotContain("--p", rows[2]);
        Assert.Contains("-b-", rows[2]);
        Assert.Contains("--p", rows[3]);

        _out.GetStringBuilder().Clear();
        Assert.Equal(0, ListCommand.Run(["web"], _out, _err, _world.Context));
        var row = _out.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)[1];
        Assert.Equal("3", row.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3]);
    }

    [Fact]
    public void PoolsAreMirroredUnderLocalPool()
    {
        // A fake v1 cgroup tree: moving CPUs between pools writes cpuset files.
        string cg = Directory.CreateTempSubdirectory("xenon-vcpuset-cg-").FullName;
        Directory.CreateDirectory(Path.Combine(cg, "cpu"));
        Directory.CreateDirectory(Path.Combine(cg, "cpuset"));
        File.WriteAllText(Path.Combine(cg, "cpuset", "cpuset.cpus"), "0-3\n");
        File.WriteAllText(Path.Combine(cg, "cpuset", "cpuset.mems"), "0\n");
        var context = _world.Context with
        {
            Cgroup = new CpuCgroup(Path.Combine(cg, "cpu"), CgroupVersion.V1),
            Cpuset = new CpusetCgroup(Path.Combine(cg, "cpuset"), CgroupVersion.V1),
            HostCpus = 4,
        };
        Publish();
        using (var c = _world.Client()) Assert.Equal(CpuPool.Pool0Name, c.Read("/local/pool/0/name"));
        Assert.Equal(0, CpupoolCommands.CpuRemove(["Pool-0", "2-3"], _err, context));
        Assert.Equal(0, CpupoolCommands.Create(["name=\"p1\"", "cpus=\"2,3\""], _out, _err, context));
        using (var c = _world.Client()) Assert.Equal("p1", c.Read("/local/pool/1/name"));
        Assert.Equal(0, CpupoolCommands.Rename(["p1", "fast"], _err, context));
        using (var c = _world.Client()) Assert.Equal("fast", c.Read("/local/pool/1/name"));
        Assert.Equal(0, CpupoolCommands.Destroy(["fast"], _err, context));
        using (var c = _world.Client())
        {
            Assert.Null(c.Read("/local/pool/1/name"));
            Assert.Equal(["0"], c.Directory("/local/pool"));
        }
        Directory.Delete(cg, recursive: true);
    }
}
