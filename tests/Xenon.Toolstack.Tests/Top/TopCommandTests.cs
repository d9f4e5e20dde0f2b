using System.Text.Json;
using Xenon.Toolstack.Commands;
using Xenon.Toolstack.Top;

namespace Xenon.Toolstack.Tests.Top;

/// <summary>xenon top: xentop's options, table layout, CPU share between samples, the stats reply's parsing.</summary>
public sealed class TopCommandTests
{
    private static readonly DateTime T0 = new(2025, 1, 1, 12, 0, 0, DateTimeKind.Utc);

    private static DomainSample Dom0(ulong cpuNs) => new()
    {
        Name = "Domain-0", DomId = 0, Running = true, CpuNs = cpuNs, MemoryKiB = 4_000_000, MaxMemoryKiB = null, Vcpus = 2,
    };

    private static DomainSample Web(ulong cpuNs) => new()
    {
        Name = "web-server-long-name", DomId = 3, Blocked = true, CpuNs = cpuNs, MemoryKiB = 262_144, MaxMemoryKiB = 524_288, Vcpus = 2,
        VcpuNs = [2_000_000_000, 1_000_000_000],
        Nets = [new NetSample(TxBytes: 10_240, 10, 0, 0, RxBytes: 2048, 3, 0, 1)],
        Vbds = [new VbdSample(51712, 0, 5, 6, 40, 48)],
    };

    private static NodeSample Node(DateTime t, ulong dom0, ulong web) => new(t, [Web(web), Dom0(dom0)], 8_000_000, 6_000_000, 2, "2400.000");

    [Fact]
    public void BatchPrintsTheHeaderAndARowPerDomainEachIteration()
    {
        var samples = new Queue<NodeSample>([Node(T0, 10_000_000_000, 3_000_000_000), Node(T0.AddSeconds(2), 11_000_000_000, 4_000_000_000)]);
        var waits = new List<TimeSpan>();
        var o = new StringWriter();
        var e = new StringWriter();
        Assert.Equal(0, TopCommand.Run(["-b", "-i", "2", "-d", "2"], o, e, samples.Dequeue, d => { waits.Add(d); return true; }));
        Assert.Equal("", e.ToString());
        var lines = o.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, lines.Length);
        const string header = "      NAME  STATE   CPU(sec) CPU(%)     MEM(k) MEM(%)  MAXMEM(k) MAXMEM(%) VCPUS NETS NETTX(k) NETRX(k) VBDS   VBD_OO   VBD_RD   VBD_WR  VBD_RSECT  VBD_WSECT SSID";
        Assert.Equal(header, lines[0]);
        // Sorted by name: Domain-0 before web-server-long-name (truncated to 10).
        Assert.Equal("  Domain-0 -----r         10    0.0    4000000   50.0   no limit       n/a     2    0        0        0    0        0        0        0          0          0    0", lines[1]);
        Assert.Equal("web-server --b---          3    0.0     262144    3.3     524288       6.6     2    1       10        2    1        0        5        6         40         48    0", lines[2]);
        Assert.Equal(header, lines[3]);
        // 1 s of CPU over 2 s: 50%.
        Assert.StartsWith("  Domain-0 -----r         11   50.0", lines[4]);
        Assert.StartsWith("web-server --b---          4   50.0", lines[5]);
        Assert.Equal([TimeSpan.FromSeconds(2)], waits);
    }

    [Fact]
    public void CpuPercentUsesTheTimeBetweenTheCpuReadingsNotBetweenWholeSamples()
    {
        // The first sample's control-socket answers came 3 s after its CPU readings (a cold start): the node's own
        // timestamps are then only 2 s apart while the CPU readings are 5 s apart.
        var first = Node(T0.AddSeconds(3), 10_000_000_000, 3_000_000_000);
        first = first with { Domains = [Web(3_000_000_000) with { CpuReadAt = T0 }, Dom0(10_000_000_000) with { CpuReadAt = T0 }] };
        var second = Node(T0.AddSeconds(5), 15_000_000_000, 8_000_000_000);
        second = second with { Domains = [Web(8_000_000_000) with { CpuReadAt = T0.AddSeconds(5) }, Dom0(15_000_000_000) with { CpuReadAt = T0.AddSeconds(5) }] };
        var lines = TopCommand.Render(second, first, TopCommand.ParseOptions(["-b"], TextWriter.Null, TextWriter.Null, out _)!);
        // 5 s of CPU over the 5 s between the readings: 100%, not 250%.
        Assert.StartsWith("  Domain-0 -----r         15  100.0", lines[1]);
        Assert.StartsWith("web-server --b---          8  100.0", lines[2]);
    }

    [Fact]
    public void InteractiveClearsTheScreenShowsTheSummaryAndStopsWhenTold()
    {
        var o = new StringWriter();
        Assert.Equal(0, TopCommand.Run(["-z", "-f", "-r", "-v", "-n", "-x"], o, new StringWriter(), () => Node(T0, 1, 1), _ => false));
        string text = o.ToString();
        Assert.StartsWith("\u001b[H\u001b[2J", text);
        Assert.Contains("2 domains: 1 running, 1 blocked, 0 paused, 0 crashed, 0 dying, 0 shutdown ", text);
        Assert.Contains("Mem: 8000000k total, 2000000k used, 6000000k free    CPUs: 2 @ 2400MHz", text);
        Assert.Contains("web-server-long-name --b---", text);
        Assert.Contains("VCPUs(sec):   0:          2s  1:          1s", text);
        Assert.Contains("Net0 RX:     2048bytes        3pkts        0err        1drop  TX:    10240bytes       10pkts        0err        0drop", text);
        Assert.Contains("VBD BlkBack 51712 [ca:00]  OO:        0   RD:        5   WR:        6   RSECT:         40   WSECT:         48", text);
        var lines = text.Split('\n');
        // -z: Domain-0 first; -r: a header before each domain.
        int dom0 = Array.FindIndex(lines, l => l.Contains("Domain-0"));
        int web = Array.FindIndex(lines, l => l.Contains("web-server-long-name"));
        Assert.True(dom0 < web);
        Assert.Equal(2, lines.Count(l => l.Contains("NAME") && l.Contains("SSID")));
    }

    [Fact]
    public void CountersWidenTheirColumns()
    {
        var big = Web(0) with { Vbds = [new VbdSample(51712, 0, 123_456_789_012, 0, 0, 0)] };
        var w = TopFormat.Widths([big], fullName: false);
        Assert.Equal(12, w[14]);
        Assert.Contains("VBD_RD".PadLeft(12), TopFormat.Header(w));
        var unknown = Web(0) with { DeviceStatsKnown = false };
        Assert.Contains("       -        -        -          -          -", TopFormat.Row(unknown, null, 0, 1, TopFormat.Widths([unknown], false), false));
        Assert.Equal("----p-", TopFormat.State(Web(0) with { Blocked = false, Paused = true }));
    }

    [Theory]
    [InlineData(new[] { "-d", "x" }, "invalid delay")]
    [InlineData(new[] { "-i", "0" }, "invalid iterations")]
    [InlineData(new[] { "-i" }, "needs an argument")]
    [InlineData(new[] { "-q" }, "unknown option '-q'")]
    [InlineData(new[] { "extra" }, "Usage: xenon top")]
    public void BadOptionsAreRefused(string[] args, string message)
    {
        var e = new StringWriter();
        Assert.Equal(1, TopCommand.Run(args, new StringWriter(), e, () => throw new InvalidOperationException("no sample expected"), _ => true));
        Assert.Contains(message, e.ToString());
    }

    [Fact]
    public void HelpAndVersionExitZero()
    {
        var o = new StringWriter();
        Assert.Equal(0, TopCommand.Run(["-h"], o, new StringWriter(), () => throw new InvalidOperationException(), null));
        Assert.Contains("-b, --batch", o.ToString());
        Assert.Equal(0, TopCommand.Run(["--version"], o, new StringWriter(), () => throw new InvalidOperationException(), null));
    }

    [Fact]
    public void StatsReplyFillsTheSampleAndToleratesJunk()
    {
        var baseSample = new DomainSample { Name = "w", DomId = 1, Running = true, MemoryKiB = 1, MaxMemoryKiB = 2 };
        using var doc = JsonDocument.Parse("""
            {"ok":true,"state":"paused","memory_mib":100,"max_memory_mib":256,
             "vbds":[{"vdev":"xvdb","oo_reqs":0,"rd_reqs":7,"wr_reqs":8,"rd_sect":9,"wr_sect":10},5,{"vdev":"bogus","rd_reqs":-1}],
             "vifs":[{"devid":0,"tx_bytes":1,"rx_bytes":2},"x"]}
            """);
        var s = TopSampler.Apply(baseSample, doc.RootElement);
        Assert.True(s.Paused);
        Assert.False(s.Running);
        Assert.Equal((102400UL, 262144UL), (s.MemoryKiB, s.MaxMemoryKiB!.Value));
        Assert.Equal(2, s.Vbds.Count);
        Assert.Equal(new VbdSample(51728, 0, 7, 8, 9, 10), s.Vbds[0]);
        Assert.Equal(0, s.Vbds[1].Device);
        Assert.Equal(0UL, s.Vbds[1].ReadRequests);
        Assert.Equal((1UL, 2UL), (Assert.Single(s.Nets).TxBytes, s.Nets[0].RxBytes));

        using var empty = JsonDocument.Parse("{\"ok\":true}");
        var e = TopSampler.Apply(baseSample, empty.RootElement);
        Assert.Empty(e.Vbds);
        Assert.Equal(1UL, e.MemoryKiB);
    }

    [Fact]
    public void SchedstatAndCpuPercent()
    {
        Assert.Equal(123456789UL, TopSampler.ParseSchedstat("123456789 5000 12\n"));
        Assert.Null(TopSampler.ParseSchedstat("x"));
        Assert.Null(TopSampler.ParseSchedstat(""));
        Assert.Equal(0, TopFormat.CpuPercent(Web(5), Web(9), 1));
        Assert.Equal(0, TopFormat.CpuPercent(Web(5), null, 1));
        Assert.Equal(100, TopFormat.CpuPercent(Web(2_000_000_000), Web(1_000_000_000), 1), 3);
    }

    [Fact]
    public void ARealSampleOfThisHostHasDomain0()
    {
        using var world = new XenStore.ToolstackFixture(startStore: false);
        var node = TopSampler.Take(world.Context);
        var dom0 = Assert.Single(node.Domains);
        Assert.Equal(("Domain-0", 0), (dom0.Name, dom0.DomId));
        Assert.True(node.TotalMemoryKiB > 0);
        Assert.Null(dom0.MaxMemoryKiB);
    }
}
