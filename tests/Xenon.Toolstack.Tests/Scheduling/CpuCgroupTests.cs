using System.Diagnostics;
using Xenon.Toolstack.Scheduling;

namespace Xenon.Toolstack.Tests.Scheduling;

/// <summary>The domains' cgroups against a fake tree (a temp directory), and once against the host's real CPU
/// controller when this test runs as root on a host that has one.</summary>
public sealed class CpuCgroupTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("xenon-cg-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Read(params string[] parts) => File.ReadAllText(Path.Combine([_root, .. parts])).Trim();

    [Fact]
    public void V2EnablesTheCpuControllerAndWritesWeightMaxAndTheProcess()
    {
        var cg = new CpuCgroup(_root, CgroupVersion.V2);
        cg.Attach(7, 4242, new SchedParams(512, 50));
        Assert.Equal("+cpu", Read("cgroup.subtree_control"));
        Assert.Equal("+cpu", Read("xenon", "cgroup.subtree_control"));
        Assert.Equal("200", Read("xenon", "7", "cpu.weight"));
        Assert.Equal("50000 100000", Read("xenon", "7", "cpu.max"));
        Assert.Equal("4242", Read("xenon", "7", "cgroup.procs"));
        Assert.True(cg.Holds(7, 4242));
        Assert.False(cg.Holds(7, 1));
        Assert.False(cg.Holds(8, 4242));
    }

    [Fact]
    public void V2LeavesAnEnabledControllerAlone()
    {
        File.WriteAllText(Path.Combine(_root, "cgroup.subtree_control"), "cpuset cpu io\n");
        new CpuCgroup(_root, CgroupVersion.V2).Apply(3, SchedParams.Default);
        Assert.Equal("cpuset cpu io", Read("cgroup.subtree_control"));
        Assert.Equal("max 100000", Read("xenon", "3", "cpu.max"));
        Assert.Equal("100", Read("xenon", "3", "cpu.weight"));
    }

    [Fact]
    public void V1WritesSharesPeriodAndQuota()
    {
        var cg = new CpuCgroup(_root, CgroupVersion.V1);
        cg.Apply(2, new SchedParams(256, 0));
        Assert.Equal("1024", Read("xenon", "2", "cpu.shares"));
        Assert.Equal("100000", Read("xenon", "2", "cpu.cfs_period_us"));
        Assert.Equal("-1", Read("xenon", "2", "cpu.cfs_quota_us"));
        cg.Apply(2, new SchedParams(512, 25));
        Assert.Equal("2048", Read("xenon", "2", "cpu.shares"));
        Assert.Equal("25000", Read("xenon", "2", "cpu.cfs_quota_us"));
        Assert.False(File.Exists(Path.Combine(_root, "cgroup.subtree_control")));
    }

    [Fact]
    public void RemoveStaleKeepsLiveDomainsAndForeignDirectories()
    {
        var cg = new CpuCgroup(_root, CgroupVersion.V1);
        cg.Apply(1, SchedParams.Default);
        cg.Apply(2, SchedParams.Default);
        Directory.CreateDirectory(Path.Combine(_root, "xenon", "not-a-domain"));
        cg.RemoveStale([2]);
        Assert.False(Directory.Exists(cg.PathFor(1)));
        Assert.True(Directory.Exists(cg.PathFor(2)));
        Assert.True(Directory.Exists(Path.Combine(_root, "xenon", "not-a-domain")));
    }

    [Fact]
    public void AnUnwritableTreeIsAnIOExceptionNamingTheFile()
    {
        // A file where the parent group should be: the group cannot be made.
        File.WriteAllText(Path.Combine(_root, "xenon"), "");
        var e = Assert.ThrowsAny<IOException>(() => new CpuCgroup(_root, CgroupVersion.V1).Apply(1, SchedParams.Default));
        Assert.Contains("xenon", e.Message);
    }

    [Fact]
    public void RealHostCpuControllerTakesAProcess()
    {
        if (Environment.UserName != "root") Assert.Skip("needs root to make cgroups");
        var host = CgroupMounts.Discover();
        if (host is null) Assert.Skip("no cgroup CPU controller is mounted on this host");
        // A domain id far above what tests or real domains use, so nothing else is disturbed.
        const int id = 32000;
        var cg = new CpuCgroup(host.Root, host.Version);
        using var sleeper = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        try
        {
            cg.Attach(id, sleeper.Id, new SchedParams(512, 50));
            Assert.True(cg.Holds(id, sleeper.Id));
            string group = cg.PathFor(id);
            if (host.Version == CgroupVersion.V1)
            {
                Assert.Equal("2048", File.ReadAllText(Path.Combine(group, "cpu.shares")).Trim());
                Assert.Equal("50000", File.ReadAllText(Path.Combine(group, "cpu.cfs_quota_us")).Trim());
            }
            else
            {
                Assert.Equal("200", File.ReadAllText(Path.Combine(group, "cpu.weight")).Trim());
                Assert.Equal("50000 100000", File.ReadAllText(Path.Combine(group, "cpu.max")).Trim());
            }
            cg.RemoveStale([]);
            Assert.True(Directory.Exists(group), "a group holding a process stays");
        }
        finally
        {
            sleeper.Kill();
            sleeper.WaitForExit();
        }
        // The kernel lets go of an exited process's membership a moment after it is reaped.
        for (int i = 0; i < 100 && Directory.Exists(cg.PathFor(id)); i++)
        {
            cg.RemoveStale([]);
            Thread.Sleep(20);
        }
        Assert.False(Directory.Exists(cg.PathFor(id)));
    }
}
