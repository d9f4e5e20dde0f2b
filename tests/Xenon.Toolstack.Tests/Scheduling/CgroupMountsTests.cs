using Xenon.Toolstack.Scheduling;

namespace Xenon.Toolstack.Tests.Scheduling;

public sealed class CgroupMountsTests
{
    private const string V1Host = """
        30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
        33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
        40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """;

    private static string NoFile(string path) => throw new FileNotFoundException(path);

    [Fact]
    public void FindsTheV1CpuHierarchyBeforeAnEmptyUnifiedTree()
    {
        var c = CgroupMounts.Find(V1Host, NoFile);
        Assert.NotNull(c);
        Assert.Equal("/sys/fs/cgroup/cpu", c.Root);
        Assert.Equal(CgroupVersion.V1, c.Version);
    }

    [Fact]
    public void FindsACombinedCpuCpuacctHierarchy()
    {
        var c = CgroupMounts.Find("25 20 0:22 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:9 - cgroup cgroup rw,cpu,cpuacct\n", NoFile);
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct", c!.Root);
    }

    [Fact]
    public void CpuacctAloneIsNotTheCpuController() =>
        Assert.Null(CgroupMounts.Find("32 30 0:29 / /sys/fs/cgroup/cpuacct rw - cgroup cgroup rw,cpuacct\n", NoFile));

    [Fact]
    public void FindsV2WhenItsControllersListCpu()
    {
        const string info = "29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n";
        var c = CgroupMounts.Find(info, p => p == "/sys/fs/cgroup/cgroup.controllers" ? "cpuset cpu io memory pids\n" : NoFile(p));
        Assert.Equal(CgroupVersion.V2, c!.Version);
        Assert.Equal("/sys/fs/cgroup", c.Root);
        Assert.Null(CgroupMounts.Find(info, _ => "memory pids\n"));
        Assert.Null(CgroupMounts.Find(info, NoFile));
    }

    [Fact]
    public void UnescapesMountPointsAndSkipsGarbage()
    {
        const string info = "garbage\n\n1 2 3 - x\n31 30 0:28 / /mnt/my\\040cg rw - cgroup cgroup rw,cpu\n";
        Assert.Equal("/mnt/my cg", CgroupMounts.Find(info, NoFile)!.Root);
        Assert.Null(CgroupMounts.Find("", NoFile));
    }

    [Fact]
    public void DiscoverOnThisHostDoesNotThrow() => _ = CgroupMounts.Discover();
}
