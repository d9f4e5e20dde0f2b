using Xenon.Domain;
using Xenon.Domain.Process;
using Xenon.Toolstack.Commands;

namespace Xenon.Toolstack.Tests.Commands;

public sealed class DomainLaunchTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("xenon-launch-").FullName;
    private readonly List<(string Reason, bool NameInUse)> _refusals = [];

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static DomainLaunch.Registration For(string name, string where = "ROOT") =>
        new(name, id => new DomainSpec { Name = name, DomId = id, MemoryMiB = 64, Kernel = "/k" }, (dir, spec) =>
        {
            DomainRuntimeDirectory.WriteAtomically(dir.SpecFile, DomainSpecJson.Serialize(spec));
            DomainRuntimeDirectory.WriteAtomically(dir.PidFile, $"{Environment.ProcessId}\n");
        }, where);

    private DomainSpec? Register(string name, string? runRoot = null) =>
        DomainLaunch.Register(For(name), runRoot ?? _root, (reason, inUse) => _refusals.Add((reason, inUse)));

    [Fact]
    public void AFreeNameIsRegisteredWithItsPublishedSpec()
    {
        var spec = Register("a");
        Assert.NotNull(spec);
        Assert.Equal(1, spec.DomId);
        Assert.Empty(_refusals);
        var written = DomainSpecJson.Deserialize(File.ReadAllText(Path.Combine(_root, "domains", "a", "spec.json")), "spec.json");
        Assert.Equal(1, written.DomId);
        Assert.Equal("a", written.Name);
    }

    [Fact]
    public void ANameInUseIsRefusedWithTheAllocatorsMessage()
    {
        Assert.NotNull(Register("a"));
        Assert.Null(Register("a"));
        var (reason, inUse) = Assert.Single(_refusals);
        Assert.True(inUse);
        Assert.StartsWith("domain name 'a' is already in use (see ", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnwritableRegistryIsRefusedNamingTheDomainAndWhere()
    {
        string notADirectory = Path.Combine(_root, "file");
        File.WriteAllText(notADirectory, "");
        Assert.Null(Register("b", notADirectory));
        var (reason, inUse) = Assert.Single(_refusals);
        Assert.False(inUse);
        Assert.StartsWith("cannot register domain b under ROOT: ", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void SpecPidAndWritesTheSpecThenThePidThenTheRequest()
    {
        var seen = new List<string>();
        var publish = DomainLaunch.SpecPidAnd(dir =>
        {
            seen.Add(File.ReadAllText(dir.PidFile));
            dir.WriteFile("request", "restore\n");
        });
        var spec = DomainLaunch.Register(new DomainLaunch.Registration("c", id => new DomainSpec { Name = "c", DomId = id, MemoryMiB = 64, Kernel = "/k" },
            publish, "ROOT"), _root, (reason, inUse) => _refusals.Add((reason, inUse)));
        Assert.NotNull(spec);
        string dirPath = Path.Combine(_root, "domains", "c");
        Assert.Equal([$"{Environment.ProcessId}\n"], seen);
        Assert.Equal("restore\n", File.ReadAllText(Path.Combine(dirPath, "request")));
        Assert.Equal(spec.DomId, DomainSpecJson.Deserialize(File.ReadAllText(Path.Combine(dirPath, "spec.json")), "spec.json").DomId);
    }

    [Fact]
    public void ToStderrPrintsAsXlDoes()
    {
        var stderr = new StringWriter();
        DomainLaunch.ToStderr(stderr)("domain name 'a' is already in use", true);
        Assert.Equal("xenon: domain name 'a' is already in use" + Environment.NewLine, stderr.ToString());
    }

    [Fact]
    public void ARefusedStartLeavesNoProcessAndCallsNothingElse()
    {
        Assert.NotNull(Register("a"));
        var context = new ToolstackContext(_root, Path.Combine(_root, "log"), Path.Combine(_root, "xs"), _ => throw new InvalidOperationException("xenstored started"));
        bool registered = false;
        var marks = new List<string>();
        var started = DomainLaunch.Start(For("a"), context, TextWriter.Null, (reason, inUse) => _refusals.Add((reason, inUse)),
            registered: _ => registered = true, mark: marks.Add);
        Assert.Null(started);
        Assert.False(registered);
        Assert.Empty(marks);
        Assert.False(Directory.Exists(Path.Combine(_root, "log")));
        Assert.True(Assert.Single(_refusals).NameInUse);
    }

    private DomainLaunch.Started StartedSleeper(string seconds)
    {
        var dir = new DomainRuntimeDirectory(Path.Combine(_root, "domains", "w"));
        Directory.CreateDirectory(dir.Path);
        var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("sleep", seconds))!;
        return new DomainLaunch.Started(new DomainSpec { Name = "w", DomId = 1, MemoryMiB = 64, Kernel = "/k" }, dir, "/dev/null", process);
    }

    [Fact]
    public void WaitForStateReturnsTheStateLineAndLeavesTheProcessRunning()
    {
        var started = StartedSleeper("30");
        int pid = started.Process.Id;
        try
        {
            File.WriteAllText(started.Dir.StateFile, "running\n");
            Assert.Equal("running", DomainLaunch.WaitForState(started, TimeSpan.FromSeconds(10)));
            using var still = System.Diagnostics.Process.GetProcessById(pid);
            Assert.False(still.HasExited, "a domain process that reported its state must be left running");
        }
        finally
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            p.Kill();
            p.WaitForExit();
        }
    }

    [Fact]
    public void WaitForStateStopsAProcessThatSaysNothingInTime()
    {
        var started = StartedSleeper("30");
        int pid = started.Process.Id;
        using var watch = System.Diagnostics.Process.GetProcessById(pid);
        Assert.Null(DomainLaunch.WaitForState(started, TimeSpan.FromMilliseconds(200)));
        Assert.True(watch.WaitForExit(TimeSpan.FromSeconds(10)), $"domain process {pid} was left running after the wait gave up");
    }

    [Fact]
    public void WaitForStateGivesUpAtOnceOnAProcessThatExitedWithoutAState()
    {
        var started = StartedSleeper("0");
        started.Process.WaitForExit();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Null(DomainLaunch.WaitForState(started, TimeSpan.FromSeconds(30)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"waited {clock.Elapsed} for a process that had already exited");
    }
}
