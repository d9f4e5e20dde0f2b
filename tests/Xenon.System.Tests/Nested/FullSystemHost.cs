using System.Diagnostics;
using System.Globalization;

[assembly: AssemblyFixture(typeof(Xenon.System.Tests.Nested.FullSystemHost))]

namespace Xenon.System.Tests.Nested;

/// <summary>
/// Runs every full-system scenario once per test run and hands out the results. On a host with
/// hardware KVM (nested/have-hw-kvm.sh) the scenarios run directly; otherwise the nested host is
/// booted once (nested/run.sh) and runs them all inside, one after another, each with its own
/// time limit. Scenario scripts: tests/Xenon.System.Tests/scenarios/NAME.sh.
/// Env: XENON_SYSTEM_TESTS=0 skips the tier (and the soft-CPU boot); XENON_SCENARIOS=0 skips only these scenarios
/// (the soft-CPU boot, which needs no KVM, still runs); XENON_SCENARIO_TIMEOUT (seconds, default 600);
/// XENON_SYSTEM_BUDGET (seconds for all scenarios together, default 3000: the suite must end
/// within CI's 90 minutes even when scenarios hang, and scenarios it did not reach fail saying so);
/// XENON_SYSTEM_TESTS_DIR (where run directories go, default $TMPDIR/xenon-system-tests).
/// </summary>
public sealed class FullSystemHost : IAsyncLifetime
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(20);

    private Dictionary<string, ScenarioResult> _results = new(StringComparer.Ordinal);
    private string? _skipReason;
    private string? _failure;

    /// <summary>"direct" or "nested" once the run has happened.</summary>
    public string Mode { get; private set; } = "none";

    /// <summary>The run directory: harness.log and work/ (scenarios, the published CLI, results/).</summary>
    public string RunDirectory { get; private set; } = "";

    /// <summary>What the scenarios see as their working directory (/work in the nested host).</summary>
    private string WorkDirectory => Path.Combine(RunDirectory, "work");

    public async ValueTask InitializeAsync()
    {
        try
        {
            await RunAsync();
        }
        catch (Exception e)
        {
            _failure = $"the full-system harness failed: {e}";
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>The result of scenario <paramref name="name"/>; skips the calling test when the
    /// tier cannot run here or the scenario said it cannot (exit 77), fails it when the harness
    /// broke or the scenario has no result.</summary>
    public ScenarioResult Result(string name)
    {
        if (_skipReason is not null)
        {
            Assert.Skip(_skipReason);
        }
        if (_failure is not null)
        {
            Assert.Fail(_failure);
        }
        if (!_results.TryGetValue(name, out ScenarioResult? r))
        {
            Assert.Fail($"scenario '{name}' left no result in {WorkDirectory}/results ({Mode} run); harness log tail:\n{LogTail()}");
        }
        if (r.ExitCode == ScenarioResult.SkipExitCode)
        {
            Assert.Skip($"scenario '{name}' cannot run here: {r.Tail(5)}");
        }
        return r;
    }

    private async Task RunAsync()
    {
        if (Environment.GetEnvironmentVariable("XENON_SYSTEM_TESTS") == "0")
        {
            _skipReason = "full-system tier disabled (XENON_SYSTEM_TESTS=0)";
            return;
        }
        if (Environment.GetEnvironmentVariable("XENON_SCENARIOS") == "0")
        {
            _skipReason = "full-system scenarios disabled (XENON_SCENARIOS=0)";
            return;
        }
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            _skipReason = "full-system tests need Linux and root (they build images and run VMs)";
            return;
        }
        string repo = FindRepoRoot();
        string runs = Environment.GetEnvironmentVariable("XENON_SYSTEM_TESTS_DIR")
            ?? Path.Combine(Path.GetTempPath(), "xenon-system-tests");
        RunDirectory = Path.Combine(runs, $"run-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}");
        Directory.CreateDirectory(WorkDirectory);
        using var log = new StreamWriter(Path.Combine(RunDirectory, "harness.log"));

        HarnessProcess guest = await Bash(repo, log, BuildTimeout, Path.Combine(repo, "guest", "build-guest.sh"));
        if (guest.ExitCode != 0)
        {
            _skipReason = $"the default guest cannot be built (guest/build-guest.sh exit {guest.ExitCode}):\n{guest.Tail()}";
            return;
        }
        string guestDir = LastLine(guest.StdOut);

        CopyScenarios(repo);
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        HarnessProcess publish = await HarnessProcess.RunAsync("dotnet",
            // ReadyToRun: under TCG a JIT-compiled domain process spends seconds compiling before its guest runs.
            ["publish", Path.Combine(repo, "src", "Xenon.Cli", "Xenon.Cli.csproj"), "-c", "Release",
             "-r", "linux-x64", "--self-contained", "false", "-p:PublishReadyToRun=true",
             "-o", Path.Combine(WorkDirectory, "xenon"), "--nologo", "-v", "q"],
            repo, log, BuildTimeout);
        if (publish.ExitCode == 0 && File.Exists(Path.Combine(WorkDirectory, "xenon", "xenon")))
        {
            env["XENON"] = "./xenon/xenon";
        }
        else
        {
            env["XENON_UNAVAILABLE"] = $"dotnet publish src/Xenon.Cli failed (exit {publish.ExitCode}): "
                + publish.Tail(15).Replace('\n', ' ');
        }

        int perScenario = PositiveSeconds("XENON_SCENARIO_TIMEOUT", 600);
        int count = Directory.GetFiles(Path.Combine(WorkDirectory, "scenarios"), "*.sh")
            .Count(f => !Path.GetFileName(f).StartsWith('_'));
        int total = Math.Min(count * (perScenario + 15) + 60, PositiveSeconds("XENON_SYSTEM_BUDGET", 3000));
        env["SCENARIO_TIMEOUT"] = perScenario.ToString(CultureInfo.InvariantCulture);
        // The scenarios stop a minute before the run's own limit, leaving time to record and sync.
        env["SCENARIO_BUDGET"] = Math.Max(60, total - 60).ToString(CultureInfo.InvariantCulture);

        HarnessProcess hw = await Bash(repo, log, TimeSpan.FromMinutes(1), Path.Combine(repo, "nested", "have-hw-kvm.sh"));
        HarnessProcess run;
        if (hw.ExitCode == 0)
        {
            Mode = "direct";
            env["GUEST_DIR"] = guestDir;
            run = await HarnessProcess.RunAsync("bash", ["./run-scenarios.sh", "scenarios", "results"],
                WorkDirectory, log, TimeSpan.FromSeconds(total + 60), env);
        }
        else
        {
            Mode = "nested";
            HarnessProcess build = await Bash(repo, log, BuildTimeout, Path.Combine(repo, "nested", "build-host.sh"));
            if (build.ExitCode != 0)
            {
                _skipReason = $"{LastLine(hw.StdOut)}; and the nested host cannot be built "
                    + $"(nested/build-host.sh exit {build.ExitCode}):\n{build.Tail()}";
                return;
            }
            // The guest inside the nested host is the one build-host.sh put in /opt/guest.
            env["GUEST_DIR"] = "/opt/guest";
            var budget = Stopwatch.StartNew();
            run = await RunNested(repo, log, env, total, names: []);
            // A nested host that died before its scenarios finished gets one more boot for those it did not
            // finish, if the budget still has room for a few of them. It dies in two ways, neither of them a
            // scenario's verdict: it wedges (run.sh's stall watchdog or time limit, exit 124), or its kernel
            // panics and it ends without a status (exit 125), as L1 did once under QEMU TCG's SVM with a stack
            // overflow in its own exception entry. A scenario that brings L1 down every time still fails: the
            // second boot runs it again and leaves no result for it either.
            int left = total - (int)budget.Elapsed.TotalSeconds;
            List<string> missing = Missing(ScenarioResultsReader.Read(Path.Combine(WorkDirectory, "results")));
            if (run.ExitCode != 0 && missing.Count > 0 && left >= 300)
            {
                log.WriteLine($"nested host ended (exit {run.ExitCode}) with {missing.Count} scenario(s) unfinished; one more boot for them ({left} s left)");
                run = await RunNested(repo, log, env, left, missing);
            }
        }
        _results = ScenarioResultsReader.Read(Path.Combine(WorkDirectory, "results"));
        if (run.ExitCode != 0)
        {
            // Results that were written stay usable; scenarios without one fail with this.
            _failure = _results.Count == 0
                ? $"the {Mode} scenario run failed (exit {run.ExitCode}) before any scenario finished; see {RunDirectory}/harness.log:\n{run.Tail()}"
                : null;
            log.WriteLine($"scenario run ended with exit {run.ExitCode}");
        }
    }

    private async Task<HarnessProcess> RunNested(string repo, StreamWriter log, Dictionary<string, string> env, int seconds, List<string> names)
    {
        var run = new Dictionary<string, string>(env, StringComparer.Ordinal)
        {
            // The scenarios stop a minute before the boot's own limit, leaving time to record and sync.
            ["SCENARIO_BUDGET"] = Math.Max(60, seconds - 60).ToString(CultureInfo.InvariantCulture),
        };
        var args = new List<string> { Path.Combine(repo, "nested", "run.sh"), "-t", seconds.ToString(CultureInfo.InvariantCulture) };
        foreach (var (k, v) in run)
        {
            args.Add("-e");
            args.Add($"{k}={v}");
        }
        args.AddRange([WorkDirectory, "--", "./run-scenarios.sh", "scenarios", "results", .. names]);
        return await HarnessProcess.RunAsync("bash", args, repo, log, TimeSpan.FromSeconds(seconds + 300),
            // Two CPUs: the cpupool scenario needs a second CPU for its pool, and TCG runs one host thread a CPU.
            new Dictionary<string, string> { ["XENON_NESTED_SKIP_BUILD"] = "1", ["XENON_NESTED_SMP"] = "2" });
    }

    private List<string> Missing(Dictionary<string, ScenarioResult> results)
    {
        var missing = new List<string>();
        foreach (string f in Directory.GetFiles(Path.Combine(WorkDirectory, "scenarios"), "*.sh"))
        {
            string name = Path.GetFileNameWithoutExtension(f);
            if (!name.StartsWith('_') && !results.ContainsKey(name))
            {
                missing.Add(name);
            }
        }
        missing.Sort(StringComparer.Ordinal);
        return missing;
    }

    private static int PositiveSeconds(string variable, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), NumberStyles.None, CultureInfo.InvariantCulture, out int t) && t > 0
            ? t : fallback;

    private Task<HarnessProcess> Bash(string repo, StreamWriter log, TimeSpan timeout, string script) =>
        HarnessProcess.RunAsync("bash", [script], repo, log, timeout);

    private void CopyScenarios(string repo)
    {
        string tests = Path.Combine(repo, "tests", "Xenon.System.Tests");
        string dest = Path.Combine(WorkDirectory, "scenarios");
        Directory.CreateDirectory(dest);
        foreach (string f in Directory.GetFiles(Path.Combine(tests, "scenarios"), "*.sh"))
        {
            File.Copy(f, Path.Combine(dest, Path.GetFileName(f)), overwrite: true);
        }
        File.Copy(Path.Combine(tests, "Nested", "run-scenarios.sh"), Path.Combine(WorkDirectory, "run-scenarios.sh"), overwrite: true);
    }

    private string LogTail()
    {
        string path = Path.Combine(RunDirectory, "harness.log");
        if (!File.Exists(path))
        {
            return "(no harness log)";
        }
        string[] lines = File.ReadAllLines(path);
        return string.Join('\n', lines.Skip(Math.Max(0, lines.Length - 30)));
    }

    private static string LastLine(string text)
    {
        string[] lines = text.Trim().Split('\n');
        return lines[^1].Trim();
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Xenon.slnx")) && File.Exists(Path.Combine(dir.FullName, "nested", "run.sh")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException($"no repository root (Xenon.slnx beside nested/run.sh) above {AppContext.BaseDirectory}");
    }
}
