using Xenon.Domain.Process;
using Xenon.Toolstack.Commands;
using Xenon.Toolstack.Scheduling;
using Xenon.Toolstack.Tests.XenStore;

namespace Xenon.Toolstack.Tests.Scheduling;

/// <summary>sched-credit(2), vcpu-pin, mem-max and the list/rename changes against fake domains, a
/// fake cgroup tree and (for vcpu-pin) real threads of this process named like vCPU threads.</summary>
public sealed class SchedulingCommandsTests : IDisposable
{
    private readonly ToolstackFixture _world = new();
    private readonly string _cgroupRoot = Directory.CreateTempSubdirectory("xenon-cgcmd-").FullName;
    private readonly ToolstackContext _context;
    private readonly StringWriter _out = new();
    private readonly StringWriter _err = new();

    public SchedulingCommandsTests() =>
        _context = _world.Context with { Cgroup = new CpuCgroup(_cgroupRoot, CgroupVersion.V2) };

    public void Dispose()
    {
        _world.Dispose();
        Directory.Delete(_cgroupRoot, recursive: true);
    }

    private string[] OutLines => _out.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private string Cg(int domId, string file) => File.ReadAllText(Path.Combine(_cgroupRoot, "xenon", $"{domId}", file)).Trim();

    private int Credit(params string[] args) => SchedCreditCommand.Run(args, _out, _err, _context, credit2: false);

    [Fact]
    public void SchedCreditListsPoolDom0AndDomainsInXlsLayout()
    {
        _world.AddDomain(ToolstackFixture.Spec("web", 2));
        Assert.Equal(0, Credit());
        Assert.Equal(
        [
            "Cpupool Pool-0: tslice=30ms ratelimit=1000us migration-delay=0us",
            "Name                                ID Weight  Cap",
            "Domain-0                             0    256    0",
            "web                                  2    256    0",
        ], OutLines);
    }

    [Fact]
    public void SchedCreditSetsWeightAndCapInTheCgroupAndRemembersThem()
    {
        var dir = _world.AddDomain(ToolstackFixture.Spec("web", 2, vcpus: 2));
        Assert.Equal(0, Credit("-d", "web", "-w", "512"));
        Assert.Equal("200", Cg(2, "cpu.weight"));
        Assert.Equal("max 100000", Cg(2, "cpu.max"));
        Assert.Equal($"{Environment.ProcessId}", Cg(2, "cgroup.procs"));
        Assert.Equal(0, Credit("-d", "2", "-c", "150"));
        Assert.Equal("150000 100000", Cg(2, "cpu.max"));
        Assert.Equal("200", Cg(2, "cpu.weight"));
        Assert.Equal(0, Credit("--domain=web"));
        Assert.Equal(["Name                                ID Weight  Cap", "web                                  2    512  150"], OutLines);
        Assert.Equal(512, DomainPolicy.Load(dir).Weight);

        _out.GetStringBuilder().Clear();
        Assert.Equal(0, SchedCreditCommand.Run(["-d", "web"], _out, _err, _context, credit2: true));
        Assert.Equal("web                                  2    512  150", OutLines[1]);
        _out.GetStringBuilder().Clear();
        Assert.Equal(0, SchedCreditCommand.Run([], _out, _err, _context, credit2: true));
        Assert.Equal("Cpupool Pool-0: ratelimit=1000us", OutLines[0]);
        _out.GetStringBuilder().Clear();
        Assert.Equal(0, Credit("-s"));
        Assert.Equal(["Cpupool Pool-0: tslice=30ms ratelimit=1000us migration-delay=0us"], OutLines);
    }

    [Theory]
    [InlineData(new[] { "-d", "web", "-w", "0" }, "Domain 2: Cpu weight out of range, valid values are within range from 1 to 65535")]
    [InlineData(new[] { "-d", "web", "-w", "65536" }, "Cpu weight out of range")]
    [InlineData(new[] { "-d", "web", "-c", "101" }, "Cpu cap out of range, valid range is from 0 to 100 for specified number of vcpus")]
    [InlineData(new[] { "-d", "web", "-c", "-1" }, "Cpu cap out of range")]
    [InlineData(new[] { "-d", "web", "-w", "lots" }, "invalid weight \"lots\"")]
    [InlineData(new[] { "-d", "web", "-c", "" }, "invalid cap \"\"")]
    [InlineData(new[] { "-w", "300" }, "Must specify a domain.")]
    [InlineData(new[] { "-p", "Pool-0", "-d", "web" }, "Specifying a cpupool or schedparam is not allowed with domain options.")]
    [InlineData(new[] { "-s", "-w", "3" }, "Specifying a cpupool or schedparam is not allowed with domain options.")]
    [InlineData(new[] { "-t", "10" }, "Must specify schedparam to set schedule parameter values.")]
    [InlineData(new[] { "-s", "-t", "10" }, "not settable")]
    [InlineData(new[] { "-p", "Pool-1" }, "unknown cpupool 'Pool-1'")]
    [InlineData(new[] { "-d", "nope" }, "nope is an invalid domain identifier (rc=-6)")]
    [InlineData(new[] { "-d", "0", "-w", "512" }, "Domain-0 is the host")]
    [InlineData(new[] { "-x" }, "unknown option '-x'")]
    [InlineData(new[] { "extra" }, "Usage: xenon sched-credit")]
    public void SchedCreditErrorsAreXlStyleAndChangeNothing(string[] args, string message)
    {
        var dir = _world.AddDomain(ToolstackFixture.Spec("web", 2));
        Assert.Equal(1, Credit(args));
        Assert.Contains(message, _err.ToString());
        Assert.Equal(256, DomainPolicy.Load(dir).Weight);
        Assert.Equal(0, DomainPolicy.Load(dir).Cap);
    }

    [Fact]
    public void SchedCreditWithoutACpuControllerSaysSo()
    {
        var dir = _world.AddDomain(ToolstackFixture.Spec("web", 2));
        // A file where the cgroup root should be: nothing can be made under it.
        string notADir = Path.Combine(_cgroupRoot, "file");
        File.WriteAllText(notADir, "");
        var broken = _context with { Cgroup = new CpuCgroup(notADir, CgroupVersion.V1) };
        Assert.Equal(1, SchedCreditCommand.Run(["-d", "web", "-w", "512"], _out, _err, broken, credit2: false));
        Assert.Contains("Setting the domain's scheduling parameters failed.", _err.ToString());
        Assert.Equal(256, DomainPolicy.Load(dir).Weight);
    }

    [Fact]
    public void VcpuPinSetsTheThreadsAffinityAndVcpuListShowsIt()
    {
        using var stop = new ManualResetEventSlim();
        var vcpu = new Thread(() => stop.Wait()) { Name = "vcpu0", IsBackground = true };
        vcpu.Start();
        try
        {
            var dir = _world.AddDomain(ToolstackFixture.Spec("web", 2, vcpus: 1, maxVcpus: 2));
            int hostCpus = XenStoreHostCpus();
            Assert.Equal(0, VcpuPinCommand.Run(["web", "0", "0"], _err, _context));
            Assert.Equal("", _err.ToString());
            var t = WaitForVcpu0();
            Assert.Equal("0", t.Affinity);
            Assert.Equal("0", DomainPolicy.Load(dir).AffinityOf(0));

            // vCPU 1 is offline (no thread): its pin is recorded and listed.
            Assert.Equal(0, VcpuPinCommand.Run(["web", "1", "0", "-"], _err, _context));
            Assert.Equal(0, VcpuListCommand.Run(["web"], _out, _err, _context));
            var rows = OutLines;
            Assert.EndsWith(hostCpus == 1 ? "all / all" : " 0 / all", rows[1]);
            Assert.EndsWith(hostCpus == 1 ? "all / all" : " 0 / all", rows[2]);
            Assert.Contains("--p", rows[2]);

            Assert.Equal(0, VcpuPinCommand.Run(["web", "all", "all"], _err, _context));
            Assert.Equal(CpuRange.Format([.. Enumerable.Range(0, hostCpus)]), WaitForVcpu0().Affinity);
            Assert.Null(DomainPolicy.Load(dir).AffinityOf(0));
            Assert.Null(DomainPolicy.Load(dir).AffinityOf(1));
            Assert.Equal(0, VcpuPinCommand.Run(["web", "0", "-"], _err, _context));
        }
        finally
        {
            stop.Set();
            vcpu.Join();
        }
    }

    private static int XenStoreHostCpus() => Toolstack.XenStore.HostInfo.Read().NrCpus;

    private static Toolstack.Domains.VcpuThreadInfo WaitForVcpu0()
    {
        for (int i = 0; i < 100; i++)
        {
            foreach (var t in Toolstack.Domains.VcpuThreadInfo.Read(Environment.ProcessId))
                if (t.Vcpu == 0) return t;
            Thread.Sleep(10);
        }
        throw new InvalidOperationException("no thread named vcpu0 in this process");
    }

    [Theory]
    [InlineData(new[] { "web", "x", "0" }, "Error: Invalid argument x as VCPU.")]
    [InlineData(new[] { "web", "-1", "0" }, "unknown option '-1'")]
    [InlineData(new[] { "-f", "web", "all", "0" }, "Error: --force and 'all' as VCPU not allowed.")]
    [InlineData(new[] { "web", "0", "0", "1" }, "soft affinity is not supported")]
    [InlineData(new[] { "web", "5", "0" }, "vcpu 5 does not exist (the domain has vCPUs 0-0)")]
    [InlineData(new[] { "web", "0", "9-3" }, "Invalid pcpu range: 9-3.")]
    [InlineData(new[] { "web", "0", "1000" }, "names no CPU of this host")]
    [InlineData(new[] { "nope", "0", "0" }, "nope is an invalid domain identifier (rc=-6)")]
    [InlineData(new[] { "0", "0", "0" }, "Domain-0's vCPUs are the host's CPUs")]
    [InlineData(new[] { "web", "0" }, "Usage: xenon vcpu-pin")]
    public void VcpuPinErrors(string[] args, string message)
    {
        _world.AddDomain(ToolstackFixture.Spec("web", 2));
        Assert.Equal(1, VcpuPinCommand.Run(args, _err, _context));
        Assert.Contains(message, _err.ToString());
    }

    [Fact]
    public void MemMaxSetsTheCeilingThatMemSetRespects()
    {
        // The fake domain: RAM (maxmem) 256 MiB, target 100 MiB.
        var dir = _world.AddDomain(ToolstackFixture.Spec("web", 2), control: true);
        Assert.Equal(0, MemMaxCommand.Run(["web", "200m"], _err, _context));
        Assert.Equal(200UL, DomainPolicy.Load(dir).MaxMemoryMiB);
        using (var c = _world.Client()) Assert.Equal("204800", c.Read("/local/domain/2/memory/static-max"));

        Assert.Equal(1, DomainControlCommands.MemSet(["web", "201"], _err, _context));
        Assert.Contains("201 MiB is above the domain's static maximum (200 MiB, set by mem-max)", _err.ToString());
        Assert.Equal(0, DomainControlCommands.MemSet(["web", "200"], _err, _context));

        Assert.Equal(1, MemMaxCommand.Run(["web", "257"], _err, _context));
        Assert.Contains("more than the domain's RAM (256 MiB", _err.ToString());
        Assert.Contains("cannot set domid 2 static max memory to : 257", _err.ToString());
        Assert.Equal(1, MemMaxCommand.Run(["web", "99"], _err, _context));
        Assert.Contains("below the domain's memory target (100 MiB)", _err.ToString());
        Assert.Equal(1, MemMaxCommand.Run(["web", "lots"], _err, _context));
        Assert.Contains("invalid memory size: lots", _err.ToString());
        Assert.Equal(1, MemMaxCommand.Run(["nope", "100"], _err, _context));
        Assert.Equal(1, MemMaxCommand.Run(["0", "100"], _err, _context));
        Assert.Equal(1, MemMaxCommand.Run(["web"], _err, _context));
        Assert.Equal(200UL, DomainPolicy.Load(dir).MaxMemoryMiB);
    }

    [Fact]
    public void ListShowsThePausedFlag()
    {
        _world.AddDomain(ToolstackFixture.Spec("web", 2), control: true);
        _world.InfoState = "paused";
        Assert.Equal(0, ListCommand.Run(["web"], _out, _err, _context));
        Assert.Contains("     --p---  ", OutLines[1]);
        _world.InfoState = "running";
        _out.GetStringBuilder().Clear();
        Assert.Equal(0, ListCommand.Run(["web"], _out, _err, _context));
        Assert.DoesNotContain("p---", OutLines[1]);
    }

    [Fact]
    public void RenameRewritesTheNameInSpecJson()
    {
        _world.AddDomain(ToolstackFixture.Spec("web", 2), control: true);
        Assert.Equal(0, RenameCommand.Run(["web", "www"], _err, _context));
        var moved = _context.DirectoryFor("www");
        var spec = DomainSpecJson.Deserialize(File.ReadAllText(moved.SpecFile), moved.SpecFile);
        Assert.Equal("www", spec.Name);
        Assert.Equal(2, spec.DomId);
    }

    [Fact]
    public void CreateTimePlacementFromXlCfg()
    {
        var d = _world.AddDomain(ToolstackFixture.Spec("web", 2, vcpus: 2));
        var live = new Toolstack.Domains.DomainRegistry(_context).Find("web")!;
        var warnings = DomainScheduling.ApplyAtCreate(_context, live, 512, 50, [null, "0"], TimeSpan.Zero);
        Assert.Empty(warnings);
        Assert.Equal("200", Cg(2, "cpu.weight"));
        Assert.Equal("50000 100000", Cg(2, "cpu.max"));
        var p = DomainPolicy.Load(d);
        Assert.Equal((512, 50, "0"), (p.Weight, p.Cap, p.AffinityOf(1)));
    }

    [Fact]
    public void CpusFromXlCfgStringOrList()
    {
        var all = DomainScheduling.AffinityFromConfig(Toolstack.Config.ConfigValue.String("0-1,^1", 1), 3, 4, out _);
        Assert.Equal(["0", "0", "0"], all);
        var list = DomainScheduling.AffinityFromConfig(Toolstack.Config.ConfigValue.List(
            [Toolstack.Config.ConfigValue.String("1", 1), Toolstack.Config.ConfigValue.String("2-3", 1), Toolstack.Config.ConfigValue.String("0", 1)], 1), 2, 4, out _);
        Assert.Equal(["1", "2-3"], list);
        Assert.Empty(DomainScheduling.AffinityFromConfig(null, 2, 4, out _)!);
        Assert.Null(DomainScheduling.AffinityFromConfig(Toolstack.Config.ConfigValue.String("x", 1), 2, 4, out string? error));
        Assert.Equal("Invalid pcpu range: x.", error);
        Assert.Null(DomainScheduling.AffinityFromConfig(Toolstack.Config.ConfigValue.List(
            [Toolstack.Config.ConfigValue.List([], 1)], 1), 2, 4, out error));
        Assert.Contains("is a list", error);
    }
}
