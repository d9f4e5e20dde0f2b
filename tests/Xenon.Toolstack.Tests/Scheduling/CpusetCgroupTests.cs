using System.Diagnostics;
using Xenon.Toolstack.Scheduling;

namespace Xenon.Toolstack.Tests.Scheduling;

/// <summary>The domains' cpuset groups against a fake tree, the mount discovery, and once against the host's real
/// cpuset controller when this test runs as root on a host that has one.</summary>
public sealed class CpusetCgroupTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("xenon-cs-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Read(params string[] parts) => File.ReadAllText(Path.Combine([_root, .. parts])).Trim();

    [Fact]
    public void V1CopiesCpusAndMemsDownAndWritesThePoolsCpus()
    {
        File.WriteAllText(Path.Combine(_root, "cpuset.cpus"), "0-3\n");
        File.WriteAllText(Path.Combine(_root, "cpuset.mems"), "0\n");
        var cs = new CpusetCgroup(_root, CgroupVersion.V1);
        cs.Place(5, 4242, [1, 2]);
        Assert.Equal("0-3", Read("xenon", "cpuset.cpus"));
        Assert.Equal("0", Read("xenon", "cpuset.mems"));
        Assert.Equal("0", Read("xenon", "5", "cpuset.mems"));
        Assert.Equal("1-2", Read("xenon", "5", "cpuset.cpus"));
        Assert.Equal("4242", Read("xenon", "5", "cgroup.procs"));
        cs.SetCpus(5, [3]);
        Assert.Equal("3", cs.CpusOf(5));
        Assert.Null(cs.CpusOf(6));
        Assert.False(File.Exists(Path.Combine(_root, "cgroup.subtree_control")));
    }

    [Fact]
    public void V2EnablesTheCpusetController()
    {
        var cs = new CpusetCgroup(_root, CgroupVersion.V2);
        cs.Place(2, 77, [0]);
        Assert.Equal("+cpuset", Read("cgroup.subtree_control"));
        Assert.Equal("+cpuset", Read("xenon", "cgroup.subtree_control"));
        Assert.Equal("0", Read("xenon", "2", "cpuset.cpus"));
        Assert.False(File.Exists(Path.Combine(_root, "xenon", "2", "cpuset.mems")));
    }

    [Fact]
    public void NoCpusOrAnUnwritableTreeIsAnIOException()
    {
        Assert.ThrowsAny<IOException>(() => new CpusetCgroup(_root, CgroupVersion.V2).Place(1, 1, []));
        File.WriteAllText(Path.Combine(_root, "xenon"), "");
        var e = Assert.ThrowsAny<IOException>(() => new CpusetCgroup(_root, CgroupVersion.V2).Place(1, 1, [0]));
        Assert.Contains("xenon", e.Message);
        // v1 with a root that names no CPUs (a broken fake) says which file.
        string other = Directory.CreateTempSubdirectory("xenon-cs1-").FullName;
        try
        {
            var e1 = Assert.ThrowsAny<IOException>(() => new CpusetCgroup(other, CgroupVersion.V1).Place(1, 1, [0]));
            Assert.Contains("cpuset.cpus", e1.Message);
        }
        finally
        {
            Directory.Delete(other, recursive: true);
        }
    }

    [Fact]
    public void DiscoveryPrefersAV1CpusetHierarchy()
    {
        const string v1 = """
            30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
            31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
            33 30 0:30 / /sys/fs/cgroup/cpu\040set rw,relatime - cgroup cgroup rw,cpuset
            40 30 0:40 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
            """;
        var found = CgroupMounts.FindCpuset(v1, _ => "cpuset cpu\n");
        Assert.Equal(("/sys/fs/cgroup/cpu set", CgroupVersion.V1), (found!.Root, found.Version));

        const string v2 = "40 30 0:40 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
        Assert.Equal(CgroupVersion.V2, CgroupMounts.FindCpuset(v2, _ => "cpuset cpu io\n")!.Version);
        Assert.Null(CgroupMounts.FindCpuset(v2, _ => "cpu io\n"));
        Assert.Null(CgroupMounts.FindCpuset(v2, _ => throw new IOException("gone")));
        Assert.Null(CgroupMounts.FindCpuset("garbage\n\n - \n", _ => ""));
    }

    [Fact]
    public void RealHostCpusetConfinesAProcess()
    {
        if (Environment.UserName != "root") Assert.Skip("needs root to make cgroups");
        var host = CgroupMounts.DiscoverCpuset();
        if (host is null) Assert.Skip("no cgroup cpuset controller is mounted on this host");
        const int id = 32001;
        var cs = new CpusetCgroup(host.Root, host.Version);
        using var sleeper = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        try
        {
            cs.Place(id, sleeper.Id, [0]);
            Assert.Equal("0", cs.CpusOf(id));
            string status = File.ReadAllText($"/proc/{sleeper.Id}/status");
            Assert.Equal("0", Domains.VcpuThreadInfo.ParseAffinity(status));
        }
        finally
        {
            sleeper.Kill();
            sleeper.WaitForExit();
        }
        for (int i = 0; i < 100 && Directory.Exists(cs.PathFor(id)); i++)
        {
            cs.RemoveStale([]);
            Thread.Sleep(20);
        }
        Assert.False(Directory.Exists(cs.PathFor(id)));
    }
}
