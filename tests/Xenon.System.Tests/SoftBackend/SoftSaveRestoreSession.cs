using System.Globalization;
using System.Text.RegularExpressions;

namespace Xenon.System.Tests.SoftBackend;

/// <summary>
/// Save and restore of the real default guest on the software CPU, directly on this host (no KVM, no nested host):
/// <c>xenon create</c> boots it detached with a shell loop that prints "TICK n uptime" once a second; <c>xenon save</c>
/// ends it into a file; a copy cut in half is offered to <c>xenon restore</c> (refused); <c>xenon restore -d FILE</c>
/// continues it (the domain process builds the machine); a second <c>xenon save</c>, then <c>xenon restore --prepare
/// CONFIG</c> and <c>xenon restore -d FILE</c> into that prepared domain; <c>xenon destroy</c> ends it. Everything seen
/// is kept for <see cref="SoftSaveRestoreTests"/>. One run for the class (about 1–3 min on 2 cores, by load).
/// Env: XENON_SYSTEM_TESTS=0 skips; XENON_GUEST_DIR overrides the guest directory.
/// </summary>
public sealed partial class SoftSaveRestoreSession : IDisposable
{
    public static readonly TimeSpan BootTimeout = TimeSpan.FromSeconds(400), StepTimeout = TimeSpan.FromSeconds(120);

    private readonly string _scratch;
    private readonly ScratchXenStored _xenstored;
    private readonly Dictionary<string, string> _env;
    private readonly List<string> _trace = [];

    public SoftSaveRestoreSession()
    {
        SkipReason = SoftGuestSession.FindSkipReason(out string guestDir);
        _scratch = Directory.CreateTempSubdirectory("xenon-soft-sr-").FullName;
        _xenstored = new ScratchXenStored(_scratch);
        Name = $"softsr{Environment.ProcessId}";
        _env = _xenstored.Use(new Dictionary<string, string>
        {
            ["XENON_RUN_DIR"] = Path.Combine(_scratch, "run"),
            ["XENON_LOG_DIR"] = Path.Combine(_scratch, "log"),
        });
        if (SkipReason is not null) return;
        ConfigFile = Path.Combine(_scratch, "guest.cfg");
        // The counter and the guest's uptime in every line: a restore must continue both (no lost or replayed tick, no
        // jump of the guest's clock by the time it was saved).
        File.WriteAllText(ConfigFile, $"""
            name = "{Name}"
            memory = 256
            vcpus = 1
            kernel = "{guestDir}/vmlinuz"
            ramdisk = "{guestDir}/initrd.img"
            cmdline = "console=ttyS0 quiet -- i=0; while true; do i=$((i+1)); read up idle < /proc/uptime; echo TICK $i $up; sleep 1; done"
            on_crash = "destroy"
            accel = "soft"
            """);
        Run();
    }

    public string? SkipReason { get; }

    public string Name { get; }

    public string ConfigFile { get; } = "";

    public string SaveFile => Path.Combine(_scratch, "guest.save");

    public string DomainDirectory => Path.Combine(_scratch, "run", "domains", Name);

    public Step? Create { get; private set; }
    public Step? Save { get; private set; }
    public Step? TruncatedRestore { get; private set; }
    public Step? Restore { get; private set; }
    public Step? Save2 { get; private set; }
    public Step? Prepare { get; private set; }
    public Step? PreparedRestore { get; private set; }
    public Step? Destroy { get; private set; }

    /// <summary>Ticks seen before the first save, after the first restore and after the prepared restore.</summary>
    public IReadOnlyList<Tick> BeforeSave { get; private set; } = [];
    public IReadOnlyList<Tick> AfterRestore { get; private set; } = [];
    public IReadOnlyList<Tick> AfterPreparedRestore { get; private set; } = [];

    /// <summary>Wall time from each save's start to the restore that followed it returning.</summary>
    public TimeSpan GoneForRestore { get; private set; }
    public TimeSpan GoneForPreparedRestore { get; private set; }

    /// <summary>The domain process after the save, the refused restore and the destroy: null if none was alive
    /// then (after up to 10 s), else its pid.</summary>
    public int? ProcessAfterSave { get; private set; }
    public int? ProcessAfterTruncatedRestore { get; private set; }
    public int? ProcessAfterDestroy { get; private set; }

    /// <summary>The state file's line once <c>restore --prepare</c> returned.</summary>
    public string? PreparedState { get; private set; }

    /// <summary>The outcome file's line once the domain was destroyed.</summary>
    public string? FinalOutcome { get; private set; }

    public void RequireRun()
    {
        if (SkipReason is not null) Assert.Skip(SkipReason);
    }

    public string Describe() => string.Join("\n", _trace) + $"\ndomain log tail:\n{LogTail()}";

    private void Run()
    {
        Create = Xenon("create", ConfigFile);
        if (Create.ExitCode != 0) return;
        using (var console = Attach())
        {
            if (console is null) return;
            // A few ticks: the guest's loop runs and its timer ticks.
            console.WaitUntil(t => Ticks(t).Count >= 3, BootTimeout);
            var saveStart = DateTime.UtcNow;
            int? pid = Pid();
            Save = Xenon("save", Name, SaveFile);
            ProcessAfterSave = AliveAfter(pid);
            console.WaitUntil(_ => console.Closed, StepTimeout);
            BeforeSave = Ticks(console.Text);

            // A copy cut in half, inside its memory image: refused before any domain process starts.
            string truncated = Path.Combine(_scratch, "truncated.save");
            using (var from = File.OpenRead(SaveFile))
            using (var to = File.Create(truncated))
            {
                var half = new byte[from.Length / 2];
                from.ReadExactly(half);
                to.Write(half);
            }
            TruncatedRestore = Xenon("restore", truncated);
            ProcessAfterTruncatedRestore = AliveAfter(Pid());

            Restore = Xenon("restore", "-d", SaveFile);
            GoneForRestore = DateTime.UtcNow - saveStart;
        }
        if (Restore.ExitCode != 0) return;
        using (var console = Attach())
        {
            if (console is null) return;
            console.WaitUntil(t => Ticks(t).Count >= 3, StepTimeout);
            var saveStart = DateTime.UtcNow;
            int? pid = Pid();
            Save2 = Xenon("save", Name, SaveFile);
            AliveAfter(pid);
            console.WaitUntil(_ => console.Closed, StepTimeout);
            AfterRestore = Ticks(console.Text);

            Prepare = Xenon("restore", "--prepare", ConfigFile);
            PreparedState = ReadLine("state");
            PreparedRestore = Xenon("restore", "-d", SaveFile);
            GoneForPreparedRestore = DateTime.UtcNow - saveStart;
        }
        if (PreparedRestore.ExitCode != 0) return;
        using (var console = Attach())
        {
            if (console is null) return;
            console.WaitUntil(t => Ticks(t).Count >= 3, StepTimeout);
            int? pid = Pid();
            Destroy = Xenon("destroy", Name);
            ProcessAfterDestroy = AliveAfter(pid);
            console.WaitUntil(_ => console.Closed, StepTimeout);
            AfterPreparedRestore = Ticks(console.Text);
            FinalOutcome = ReadLine("outcome");
        }
    }

    private Step Xenon(params string[] args)
    {
        using var x = XenonProcess.Start(args, _scratch, _env);
        bool exited = x.WaitForExit(StepTimeout);
        var step = new Step(string.Join(' ', args), exited ? x.ExitCode : null, x.Output + x.Errors);
        _trace.Add($"$ xenon {step.Command} -> {(step.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "(timed out)")} after {x.Elapsed.TotalSeconds:F1} s\n{step.Text.TrimEnd()}");
        return step;
    }

    private ConsoleTap? Attach()
    {
        var tap = ConsoleTap.Connect(Path.Combine(DomainDirectory, "console.sock"), StepTimeout);
        if (tap is null) _trace.Add($"no console socket in {DomainDirectory}");
        return tap;
    }

    private int? Pid() => int.TryParse(ReadLine("pid"), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : null;

    private string? ReadLine(string file)
    {
        try
        {
            return File.ReadAllText(Path.Combine(DomainDirectory, file)).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Null once <paramref name="pid"/> is gone (waits up to 10 s), else the pid.</summary>
    private static int? AliveAfter(int? pid)
    {
        if (pid is not { } p) return null;
        for (int i = 0; i < 100; i++)
        {
            if (!Directory.Exists($"/proc/{p}")) return null;
            Thread.Sleep(100);
        }
        return p;
    }

    private string LogTail()
    {
        try
        {
            var lines = File.ReadAllLines(Path.Combine(_scratch, "log", Name + ".log"));
            return string.Join("\n", lines[Math.Max(0, lines.Length - 30)..]);
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    /// <summary>Whole TICK lines only: a line cut by the save is not counted.</summary>
    public static List<Tick> Ticks(string console)
    {
        var ticks = new List<Tick>();
        foreach (Match m in TickLine().Matches(console))
            ticks.Add(new Tick(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)));
        return ticks;
    }

    [GeneratedRegex(@"^TICK (\d+) (\d+\.\d+)\r?$", RegexOptions.Multiline)]
    private static partial Regex TickLine();

    public void Dispose()
    {
        // A run that failed half-way may have left the domain: end it (it runs against this test's own xenstored and
        // run directory, so no other domain is touched), then its daemon.
        if (SkipReason is null && Pid() is { } pid && Directory.Exists($"/proc/{pid}"))
        {
            Xenon("destroy", Name);
            if (AliveAfter(pid) is { } left)
            {
                try
                {
                    using var p = global::System.Diagnostics.Process.GetProcessById(left);
                    p.Kill();
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException)
                {
                }
            }
        }
        _xenstored.Dispose();
        try
        {
            Directory.Delete(_scratch, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public sealed record Step(string Command, int? ExitCode, string Text);

    public readonly record struct Tick(int N, double Uptime);
}
