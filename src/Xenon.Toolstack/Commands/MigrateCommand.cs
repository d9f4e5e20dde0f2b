using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Xenon.Toolstack.Cli;
using Xenon.Toolstack.Console;
using Xenon.Toolstack.Domains;
using Xenon.Toolstack.XenStore;

namespace Xenon.Toolstack.Commands;

/// <summary>
/// <c>xenon migrate [-s SSHCOMMAND] [-e] [-p] [--debug] DOMAIN HOST</c>, as xl migrate (docs/migration.md): the domain
/// process sends the domain live to a receiver and, once the receiver reports it running, ends (outcome Migrated); if
/// anything fails the domain runs on here and the error names the step. HOST is reached as xl reaches it: the command
/// <c>SSHCOMMAND HOST xenon migrate-receive</c> (SSHCOMMAND defaults to ssh and goes through sh; an empty one runs HOST
/// itself as the command), whose stdin and stdout carry the migration, relayed here; or, in the form
/// <c>tcp:ADDR:PORT</c>, a receiver listening there (<c>xenon migrate-receive --listen</c>), which the domain process
/// connects to directly.
/// </summary>
public static class MigrateCommand
{
    public const string Usage = "Usage: xenon migrate [-s SSHCOMMAND] [-e] [-p] [--debug] <Domain> <host>\n" +
        "  -s SSHCOMMAND  run SSHCOMMAND HOST xenon migrate-receive (default ssh; empty: run HOST as the command)\n" +
        "  -e             passed to the receiver (xl: do not wait there for the domain's death)\n" +
        "  -p             leave the domain paused on the receiver\n" +
        "  -C CONFIG      not supported: the domain's own configuration is sent\n" +
        "  --debug        show every pre-copy pass\n" +
        "  HOST tcp:ADDR:PORT connects to xenon migrate-receive --listen ADDR:PORT instead";

    private const char DebugOption = '\u0001';

    /// <summary>Migrating a large guest over a slow link takes a while; the domain process answers when it is over.</summary>
    public static readonly TimeSpan ReplyTimeout = TimeSpan.FromHours(2);

    /// <summary>The receiving command run on HOST (xl runs "xl"); XENON_MIGRATE_RECEIVER overrides "xenon".</summary>
    public static string RemoteCommand =>
        Environment.GetEnvironmentVariable("XENON_MIGRATE_RECEIVER") is { Length: > 0 } c ? c : "xenon";

    public static int Run(IReadOnlyList<string> args, TextWriter stderr, ToolstackContext context)
    {
        var line = CommandSupport.Parse(args,
            [new OptionSpec('s', null, "SSHCOMMAND"), new OptionSpec('e'), new OptionSpec('p'), new OptionSpec('C', null, "CONFIG"),
             new OptionSpec(DebugOption, "debug")],
            "xenon migrate", Usage, stderr);
        if (line is null) return CommandSupport.Failure;
        if (line.Operands.Count != 2)
        {
            stderr.WriteLine(Usage);
            return CommandSupport.Failure;
        }
        if (line.Has('C'))
        {
            stderr.WriteLine("xenon migrate: -C is not supported: the domain's own configuration is sent");
            return CommandSupport.Failure;
        }
        string domain = line.Operands[0], host = line.Operands[1];
        if (CommandSupport.IsDom0(domain))
        {
            stderr.WriteLine("xenon migrate: Domain-0 (the host) cannot be migrated");
            return CommandSupport.Failure;
        }
        if (CommandSupport.Find(new DomainRegistry(context), domain, stderr) is not { } d) return CommandSupport.Failure;
        bool debug = line.Has(DebugOption);
        var clock = Stopwatch.StartNew();
        string pausedMember = line.Has('p') ? ",\"paused\":true" : "";

        JsonElement? reply;
        string? error;
        if (host.StartsWith("tcp:", StringComparison.Ordinal))
        {
            stderr.WriteLine($"migration sender: sending domain {d.Name} (id {d.DomId}) to {host}");
            reply = ControlClient.Query(d.Directory, "migrate", $",\"target\":{Json(host)}{pausedMember}", ReplyTimeout, out error);
        }
        else
        {
            string ssh = line.Value('s') ?? "ssh";
            string receiver = $"{RemoteCommand} migrate-receive{(line.Has('e') ? " -e" : "")}{(debug ? " --debug" : "")}";
            string command = ssh.Length == 0 ? host : $"exec {ssh} {host} {receiver}";
            stderr.WriteLine($"migration sender: sending domain {d.Name} (id {d.DomId}) through: {command}");
            reply = ThroughCommand(d.Directory, command, $",\"destination\":{Json(host)}{pausedMember}", out error);
        }
        if (reply is null)
        {
            stderr.WriteLine($"xenon migrate: {error}");
            return CommandSupport.Failure;
        }
        var r = reply.Value;
        if (debug && r.TryGetProperty("rounds", out var rounds) && rounds.ValueKind == JsonValueKind.Array)
        {
            int i = 0;
            foreach (var round in rounds.EnumerateArray())
                stderr.WriteLine($"migration sender: pass {i++}: {Number(round, "pages")} pages, {Number(round, "bytes")} bytes, {Number(round, "ms")} ms{(round.TryGetProperty("paused", out var p) && p.ValueKind == JsonValueKind.True ? " (paused)" : "")}");
        }
        // Only when the destination's clock is this host's (bench/migration reads it beside the downtime).
        string resumed = r.TryGetProperty("resumed_after_pause_ms", out _) ? $" (resumed at the destination {Number(r, "resumed_after_pause_ms")} ms after the pause)" : "";
        stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"migration sender: domain {d.Name} migrated: {Number(r, "bytes")} bytes, {Number(r, "pages")} pages in {Number(r, "passes")} passes " +
            $"(pre-copy ended: {Text(r, "stop_reason")}, {Number(r, "final_pages")} pages while paused); downtime {Number(r, "downtime_ms")} ms{resumed}; " +
            $"migration {Number(r, "total_ms")} ms; " +
            $"{clock.Elapsed.TotalMilliseconds:0} ms in all"));
        // The domain ends by itself once migrated; wait for it to be gone so that its name is free here.
        int status = ConsoleClient.WaitForOutcome(d.Directory, TimeSpan.FromSeconds(30), TextWriter.Null);
        using (XenStoreLauncher.Open(context, TextWriter.Null)) { } // reconciling drops a dead domain's nodes
        if (status != Domain.DomainOutcome.ExitMigrated)
            stderr.WriteLine($"xenon migrate: warning: domain {d.Name} did not report its end as migrated (status {status})");
        return 0;
    }

    /// <summary>xl's ssh form: runs <paramref name="command"/> with its stdin and stdout as the migration's two directions,
    /// has the domain process connect to a Unix socket here, and relays between the two until the exchange is over.</summary>
    private static JsonElement? ThroughCommand(Domain.Process.DomainRuntimeDirectory dir, string command, string moreMembers, out string? error)
    {
        string socketPath = Path.Combine(dir.Path, $"migrate-out.{Environment.ProcessId}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            File.Delete(socketPath);
            listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            listener.Listen(1);
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            error = $"cannot listen on {socketPath}: {e.Message}";
            return null;
        }
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command);
        Process? child;
        try
        {
            child = Process.Start(psi);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            File.Delete(socketPath);
            error = $"cannot run {command}: {e.Message}";
            return null;
        }
        if (child is null)
        {
            File.Delete(socketPath);
            error = $"cannot run {command}";
            return null;
        }
        using (child)
        {
            var toReceiver = child.StandardInput.BaseStream;
            var fromReceiver = child.StandardOutput.BaseStream;
            var relay = new Thread(() =>
            {
                try
                {
                    using var fromDomain = listener.Accept();
                    using var domainStream = new NetworkStream(fromDomain, ownsSocket: false);
                    // A = the domain process (sender), B = the receiving command.
                    MigrateRelay.Run(domainStream, toReceiver, fromReceiver, domainStream,
                        closeB: () => child.StandardInput.Close(), closeA: () => fromDomain.Shutdown(SocketShutdown.Send));
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException) { }
            }) { Name = "migrate-relay", IsBackground = true };
            relay.Start();
            var reply = ControlClient.Query(dir, "migrate", $",\"target\":{Json("unix:" + socketPath)}{moreMembers}", ReplyTimeout, out error);
            listener.Close();
            try { File.Delete(socketPath); } catch (IOException) { }
            // The receiving command ends when its input does (the relay may have closed it already).
            try
            {
                child.StandardInput.Close();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException) { }
            if (!child.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                try { child.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            }
            relay.Join(TimeSpan.FromSeconds(5));
            return reply;
        }
    }

    private static string Json(string s) => JsonSerializer.Serialize(s, ToolstackJsonContext.Default.String);

    private static string Number(JsonElement reply, string name) =>
        reply.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetRawText() : "?";

    private static string Text(JsonElement reply, string name) =>
        reply.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? "?" : "?";
}
