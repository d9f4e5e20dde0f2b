using Xenon.Toolstack.Commands;
using Xenon.Toolstack.Domains;

namespace Xenon.Toolstack.Tests.Commands;

/// <summary>xl's table layouts, character for character (compared with real xl output).</summary>
public sealed class XlFormatTests
{
    [Fact]
    public void ListHeaderAndRowsMatchXl()
    {
        Assert.Equal("Name                                        ID   Mem VCPUs\tState\tTime(s)", XlFormat.ListHeader);
        // From a real xl list.
        Assert.Equal("Domain-0                                     0  1024     2     r-----     927.7",
            XlFormat.ListRow("Domain-0", 0, 1024, 2, "r-----", 927.7));
        Assert.Equal("busybox-001                                 10   128     2     -b----       0.2",
            XlFormat.ListRow("busybox-001", 10, 128, 2, XlFormat.StateLetters(false, true), 0.2));
        Assert.Equal(" 00000000-0000-0000-0000-000000000000        -                -", XlFormat.ListVerboseSuffix(Guid.Empty));
    }

    [Fact]
    public void VcpuListMatchesXl()
    {
        Assert.Equal("Name                                ID  VCPU   CPU State   Time(s) Affinity (Hard / Soft)", XlFormat.VcpuHeader);
        Assert.Equal("Domain-0                             0     0    1   -b-     271.1  all / all",
            XlFormat.VcpuRow("Domain-0", 0, 0, 1, false, true, 271.1, "all", "all"));
        Assert.Equal("mica-test                            7     0    2   r--      12.5  2 / 2",
            XlFormat.VcpuRow("mica-test", 7, 0, 2, true, false, 12.5, "2", "2"));
        // xl: "%5c %3c%cp " for an offline vCPU.
        Assert.Equal("pv-guest01                           1     2    -   --p       0.0  all / all",
            XlFormat.VcpuOfflineRow("pv-guest01", 1, 2, "all", "all"));
    }

    [Theory]
    [InlineData("0-3", 4, "all")]
    [InlineData("0-3", 8, "0-3")]
    [InlineData("0,2", 3, "0,2")]
    [InlineData("", 4, "all")]
    [InlineData("garbage", 4, "garbage")]
    public void AffinityIsAllWhenEveryHostCpuIsIn(string list, int cpus, string expected) =>
        Assert.Equal(expected, XlFormat.Affinity(list, cpus));

    [Theory]
    [InlineData(0UL, false, " 0:00:00")]
    [InlineData(3725UL, false, " 1:02:05")]
    [InlineData(86400UL + 7200, false, "1 day,  2:00:00")]
    [InlineData(3 * 86400UL + 61, true, "3 days,  0:01")]
    public void UptimeStringsAreXls(ulong seconds, bool shortMode, string expected) =>
        Assert.Equal(expected, XlFormat.Uptime(seconds, shortMode));

    [Fact]
    public void UptimeAndInfoLines()
    {
        Assert.Equal("Name                                ID Uptime", XlFormat.UptimeHeader);
        Assert.Equal("web                                  3  0:00:06", XlFormat.UptimeRow("web", 3, 6));
        Assert.Equal("host                   : vm", XlFormat.InfoLine("host", "vm"));
    }

    [Theory]
    [InlineData("0-3", new[] { 0, 1, 2, 3 })]
    [InlineData("1,5-6", new[] { 1, 5, 6 })]
    public void CpuListsParse(string text, int[] cpus) => Assert.Equal(cpus, XlFormat.ParseCpuList(text)!.Order());

    [Theory]
    [InlineData("3-1")]
    [InlineData("a")]
    [InlineData("1-2-3")]
    [InlineData("0-99999999")]
    public void MalformedCpuListsAreRejected(string text) => Assert.Null(XlFormat.ParseCpuList(text));
}

public sealed class ProcParsingTests
{
    [Fact]
    public void StatFieldsAreCountedAfterTheLastParenthesis()
    {
        // comm "(vcpu 0) x" holds spaces and a parenthesis; utime 150, stime 50 ticks; processor 3.
        string stat = "1234 ((vcpu 0) x) R 1 2 3 4 5 6 7 8 9 10 150 50 0 0 20 0 1 0 100 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 17 3 0 0";
        var parsed = VcpuThreadInfo.ParseStat(stat);
        Assert.NotNull(parsed);
        Assert.Equal('R', parsed.Value.State);
        Assert.Equal(2.0, parsed.Value.CpuSeconds);
        Assert.Equal(3, parsed.Value.Cpu);
    }

    [Theory]
    [InlineData("")]
    [InlineData("no parenthesis here")]
    [InlineData("1 (x) R 1 2")]
    [InlineData("1 (x) RR 1 2 3 4 5 6 7 8 9 10 150 50 0 0 20 0 1 0 100 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 17 3 0 0")]
    [InlineData("1 (x) R 1 2 3 4 5 6 7 8 9 10 -1 50 0 0 20 0 1 0 100 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 17 3 0 0")]
    public void MalformedStatIsNull(string stat) => Assert.Null(VcpuThreadInfo.ParseStat(stat));

    [Theory]
    [InlineData("vcpu0\n", 0)]
    [InlineData("vcpu12", 12)]
    [InlineData("vcpu", null)]
    [InlineData("vcpu-1", null)]
    [InlineData("control-client", null)]
    public void VcpuThreadNames(string comm, int? expected) => Assert.Equal(expected, VcpuThreadInfo.ParseVcpuName(comm));

    [Fact]
    public void AffinityComesFromStatus() =>
        Assert.Equal("0-3", VcpuThreadInfo.ParseAffinity("Name:\tx\nCpus_allowed:\tf\nCpus_allowed_list:\t0-3\n"));

    [Fact]
    public void ThisProcessesVcpuNamedThreadsAreFound()
    {
        using var stop = new ManualResetEventSlim();
        var t = new Thread(() => stop.Wait()) { Name = "vcpu5", IsBackground = true };
        t.Start();
        try
        {
            var found = VcpuThreadInfo.Read(Environment.ProcessId);
            var v = Assert.Single(found, x => x.Vcpu == 5);
            Assert.NotEqual("", v.Affinity);
            Assert.True(v.Cpu >= 0);
        }
        finally
        {
            // Joined before the event is disposed: a thread still leaving Wait would otherwise throw on it.
            stop.Set();
            t.Join();
        }
    }

    [Fact]
    public void HostFactsParse()
    {
        string cpuinfo = "processor\t: 0\ncpu MHz\t\t: 2096.016\nsiblings\t: 4\ncpu cores\t: 2\nflags\t\t: fpu vmx sse\n\nprocessor\t: 1\nsiblings\t: 4\ncpu cores\t: 2\n";
        string meminfo = "MemTotal:       24683620 kB\nMemFree:  1 kB\nMemAvailable:   1024000 kB\n";
        var info = Xenon.Toolstack.XenStore.HostInfo.FromProc(cpuinfo, meminfo);
        Assert.Equal(2, info.NrCpus);
        Assert.Equal(2, info.CoresPerSocket);
        Assert.Equal(2, info.ThreadsPerCore);
        Assert.Equal("2096.016", info.CpuMhz);
        Assert.True(info.HardwareVirt);
        Assert.Equal(24683620UL, info.TotalMemoryKiB);
        Assert.Equal(1024000UL, info.FreeMemoryKiB);
        var empty = Xenon.Toolstack.XenStore.HostInfo.FromProc("", "");
        Assert.Equal(1, empty.NrCpus);
        Assert.Equal(0UL, empty.TotalMemoryKiB);
    }

    [Fact]
    public void ProcStatBusyTime()
    {
        var busy = DomainUsage.ParseProcStat("cpu  100 10 50 1000 5 3 2 0 0 0\ncpu0 100 10 50 1000 5 3 2 0 0 0\nintr 1 2\n");
        Assert.Equal([1.65, 1.65], busy);
    }
}
