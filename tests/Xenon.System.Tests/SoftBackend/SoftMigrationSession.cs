using System.Text.RegularExpressions;

namespace Xenon.System.Tests.SoftBackend;

/// <summary>
/// One live migration of the default guest on the software CPU, directly on this host (issue 5): two "hosts" in one
/// network namespace (each its own runtime and log directories and its own xenstored), the stream over loopback TCP
/// (127.0.0.1) — network namespaces would need `ip netns` in the test environment; bench/migration/host-soft.sh uses
/// them. The guest prints a tick a second on its console. First a receiver prepared for another memory size refuses
/// the stream (the source must keep running and ticking), then `xenon migrate NAME tcp:127.0.0.1:PORT` moves the
/// guest to `migrate-receive --listen`; the ticks seen on the destination's console must continue the source's.
/// </summary>
public sealed partial class SoftMigrationSession : IDisposable
{
    public static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(240);

    private readonly string _scratch;
    private readonly ScratchXenStored _srcStore, _dstStore;
    private readonly Dictionary<string, string> _srcEnv, _dstEnv;
    private readonly List<XenonProcess> _processes = [];
    private readonly string _name = $"m6mig-{Environment.ProcessId}";

    public SoftMigrationSession()
    {
        SkipReason = SoftGuestSession.FindSkipReason(out string guestDir);
        _scratch = Directory.CreateTempSubdirectory("xenon-soft-migrate-").FullName;
        _srcStore = new ScratchXenStored(Path.Combine(_scratch, "src"));
        _dstStore = new ScratchXenStored(Path.Combine(_scratch, "dst"));
        _srcEnv = _srcStore.Use(new Dictionary<string, string>
        {
            ["XENON_RUN_DIR"] = Path.Combine(_scratch, "src", "run"),
            ["XENON_LOG_DIR"] = Path.Combine(_scratch, "src", "log"),
        });
        _dstEnv = _dstStore.Use(new Dictionary<string, string>
        {
            ["XENON_RUN_DIR"] = Path.Combine(_scratch, "dst", "run"),
            ["XENON_LOG_DIR"] = Path.Combine(_scratch, "dst", "log"),
        });
        if (SkipReason is not null) return;
        string cfg = WriteConfig("guest.cfg", 256, guestDir);
        string other = WriteConfig("other.cfg", 320, guestDir);
        try
        {
            Run(cfg, other);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException or global::System.Net.Sockets.SocketException)
        {
            Failure = e.Message;
        }
    }

    private string WriteConfig(string file, int memory, string guestDir)
    {
        string path = Path.Combine(_scratch, file);
        File.WriteAllText(path, $"""
            name = "{_name}"
            memory = {memory}
            vcpus = 1
            kernel = "{guestDir}/vmlinuz"
            ramdisk = "{guestDir}/initrd.img"
            cmdline = "console=ttyS0 quiet"
            accel = "soft"
            on_crash = "destroy"
            """);
        return path;
    }

    public string? SkipReason { get; }

    /// <summary>Why the session stopped early (null: every step ran).</summary>
    public string? Failure { get; private set; }

    internal XenonProcess? Source { get; private set; }

    public int? RefusedExitCode { get; private set; }
    public string RefusedOutput { get; private set; } = "";
    public int TicksBeforeRefusal { get; private set; }
    public int TicksAfterRefusal { get; private set; }

    public int? MigrateExitCode { get; private set; }
    public string MigrateOutput { get; private set; } = "";
    public int? ReceiveExitCode { get; private set; }
    public int LastSourceTick { get; private set; }
    public bool SourceEndedAfterMigration { get; private set; }
    public bool DestinationListedWhenSourceEnded { get; private set; }

    /// <summary>Ticks the destination's console printed after the migration, in order.</summary>
    public IReadOnlyList<int> DestinationTicks { get; private set; } = [];

    /// <summary>What the destination's console showed in those seconds, as read (for a failure's message).</summary>
    public string DestinationConsole { get; private set; } = "";

    public void RequireRun()
    {
        if (SkipReason is not null) Assert.Skip(SkipReason);
    }

    public string Describe() =>
        $"failure: {Failure ?? "none"}; migrate: {MigrateOutput}; refused: {RefusedOutput}; source: {Source?.Describe(1500)}; " +
        $"source log: {Tail(Path.Combine(_scratch, "src", "log", _name + ".log"))}; destination log: {Tail(Path.Combine(_scratch, "dst", "log", _name + ".log"))}";

    private static string Tail(string path) => File.Exists(path) ? string.Concat(File.ReadAllText(path).TakeLast(1500)) : "(none)";

    private XenonProcess Start(Dictionary<string, string> env, params string[] args)
    {
        var p = XenonProcess.Start(args, _scratch, env);
        _processes.Add(p);
        return p;
    }

    private void Run(string cfg, string other)
    {
        Source = Start(_srcEnv, "create", "-F", "-c", cfg);
        int shell = Source.WaitFor("XENON-SHELL", SoftGuestSession.ShellTimeout);
        if (shell < 0) throw new TimeoutException("the guest's shell did not come up");
        if (Source.WaitFor("# ", StepTimeout, shell) < 0) throw new TimeoutException("no shell prompt");
        // The marker is split by quotes so the echo of the typed line does not hold it.
        Source.Type("i=0; while :; do i=$((i+1)); echo \"TI\"\"CK-$i\"; sleep 1; done &");
        WaitForTick(Source, 3);

        // A receiver prepared with another memory size refuses the sent configuration before any memory.
        int port = FreePort();
        var refusing = Start(_dstEnv, "migrate-receive", "--listen", $"127.0.0.1:{port}", "--prepare", other);
        if (!WaitForStderr(refusing, "listening on", StepTimeout)) throw new TimeoutException("the prepared receiver never listened: " + refusing.Describe());
        TicksBeforeRefusal = LastTick(Source.Output);
        var refused = Start(_srcEnv, "migrate", _name, $"tcp:127.0.0.1:{port}");
        if (!refused.WaitForExit(StepTimeout)) throw new TimeoutException("the refused migration did not end");
        RefusedExitCode = refused.ExitCode;
        RefusedOutput = refused.Output + refused.Errors;
        refusing.WaitForExit(StepTimeout);
        WaitForTick(Source, LastTick(Source.Output) + 3);
        TicksAfterRefusal = LastTick(Source.Output);

        // The migration itself, to a receiver that builds the domain when the stream's configuration arrives.
        port = FreePort();
        var receiver = Start(_dstEnv, "migrate-receive", "--listen", $"127.0.0.1:{port}");
        if (!WaitForStderr(receiver, "listening on", StepTimeout)) throw new TimeoutException("the receiver never listened: " + receiver.Describe());
        var migrate = Start(_srcEnv, "migrate", "--debug", _name, $"tcp:127.0.0.1:{port}");
        if (!migrate.WaitForExit(StepTimeout)) throw new TimeoutException("the migration did not end");
        MigrateExitCode = migrate.ExitCode;
        MigrateOutput = migrate.Output + migrate.Errors;
        LastSourceTick = LastTick(Source.Output);
        SourceEndedAfterMigration = Source.WaitForExit(StepTimeout);
        if (receiver.WaitForExit(StepTimeout)) ReceiveExitCode = receiver.ExitCode;
        var list = Start(_dstEnv, "list");
        list.WaitForExit(StepTimeout);
        DestinationListedWhenSourceEnded = list.Output.Contains(_name, StringComparison.Ordinal);

        DestinationConsole = ReadConsole(Path.Combine(_scratch, "dst", "run", "domains", _name, "console.sock"), TimeSpan.FromSeconds(8));
        DestinationTicks = Ticks(DestinationConsole);
        Start(_dstEnv, "destroy", _name).WaitForExit(StepTimeout);
    }

    // migrate-receive prints its listening line on stderr (the log), not on the console stream WaitFor reads.
    private static bool WaitForStderr(XenonProcess p, string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (p.Errors.Contains(text, StringComparison.Ordinal)) return true;
            if (p.HasExited) return p.Errors.Contains(text, StringComparison.Ordinal);
            Thread.Sleep(50);
        }
        return false;
    }

    // The domain's console socket (what `xenon console` attaches to) replays nothing: this reads what the guest prints
    // from now on, for the given time.
    private static string ReadConsole(string socketPath, TimeSpan duration)
    {
        using var socket = new global::System.Net.Sockets.Socket(global::System.Net.Sockets.AddressFamily.Unix,
            global::System.Net.Sockets.SocketType.Stream, global::System.Net.Sockets.ProtocolType.Unspecified);
        socket.Connect(new global::System.Net.Sockets.UnixDomainSocketEndPoint(socketPath));
        socket.ReceiveTimeout = 500;
        var text = new global::System.Text.StringBuilder();
        var buffer = new byte[4096];
        var until = DateTime.UtcNow + duration;
        while (DateTime.UtcNow < until)
        {
            try
            {
                int n = socket.Receive(buffer);
                if (n == 0) break;
                text.Append(global::System.Text.Encoding.ASCII.GetString(buffer, 0, n));
            }
            catch (global::System.Net.Sockets.SocketException e) when (e.SocketErrorCode == global::System.Net.Sockets.SocketError.TimedOut)
            {
            }
        }
        return text.ToString();
    }

    private static void WaitForTick(XenonProcess p, int tick)
    {
        var deadline = DateTime.UtcNow + StepTimeout;
        while (LastTick(p.Output) < tick)
        {
            if (DateTime.UtcNow > deadline || p.HasExited) throw new TimeoutException($"no TICK-{tick} on the source's console");
            Thread.Sleep(100);
        }
    }

    // Whole lines only: a read that ends inside "TICK-16" must not count a tick 1 (CI saw exactly that).
    [GeneratedRegex(@"TICK-(\d+)\r?\n")]
    private static partial Regex TickPattern();

    private static List<int> Ticks(string output)
    {
        var ticks = new List<int>();
        foreach (Match m in TickPattern().Matches(output)) ticks.Add(int.Parse(m.Groups[1].Value, global::System.Globalization.CultureInfo.InvariantCulture));
        return ticks;
    }

    private static int LastTick(string output) => Ticks(output) is { Count: > 0 } t ? t[^1] : 0;

    private static int FreePort()
    {
        using var l = new global::System.Net.Sockets.TcpListener(global::System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((global::System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (SkipReason is null)
        {
            // Whatever is left (a failed step): no domain may outlive the test.
            foreach (var env in new[] { _srcEnv, _dstEnv })
            {
                var d = XenonProcess.Start(["destroy", _name], _scratch, env);
                d.WaitForExit(TimeSpan.FromSeconds(60));
                d.Dispose();
            }
        }
        foreach (var p in _processes) p.Dispose();
        _srcStore.Dispose();
        _dstStore.Dispose();
        try
        {
            Directory.Delete(_scratch, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
