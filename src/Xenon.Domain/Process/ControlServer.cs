using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Xenon.Domain.Process;

/// <summary>
/// The domain process's control socket (docs/control-protocol.md): JSON lines, one request and
/// one reply each. A malformed or oversized request gets an error reply (or, past the size
/// limit, a disconnect); it never affects the domain.
/// </summary>
public sealed class ControlServer : IDisposable
{
    public const int MaxRequestBytes = 4096;

    private readonly DomainRunner _runner;
    private readonly UnixSocketListener _listener;
    private readonly Func<string, string?>? _rename;

    /// <param name="rename">Carries out <c>rename</c> (moves the runtime directory; null on success, else why not);
    /// null: the command is refused.</param>
    public ControlServer(DomainRunner runner, string path, Func<string, string?>? rename = null)
    {
        _runner = runner;
        _rename = rename;
        _listener = new UnixSocketListener(path, "control-accept",
            client => new Thread(() => Serve(client)) { Name = "control-client", IsBackground = true }.Start());
    }

    private void Serve(Socket client)
    {
        using (client)
        {
            var buffer = new byte[MaxRequestBytes];
            int filled = 0;
            try
            {
                while (true)
                {
                    int newline = Array.IndexOf(buffer, (byte)'\n', 0, filled);
                    if (newline < 0)
                    {
                        if (filled == buffer.Length)
                        {
                            Send(client, Error($"request longer than {MaxRequestBytes} bytes"));
                            return;
                        }
                        int n = client.Receive(buffer.AsSpan(filled));
                        if (n <= 0) return;
                        filled += n;
                        continue;
                    }
                    string reply = Handle(buffer.AsSpan(0, newline), out var afterReply);
                    try
                    {
                        Send(client, reply);
                    }
                    finally
                    {
                        afterReply?.Invoke();
                    }
                    Array.Copy(buffer, newline + 1, buffer, 0, filled - newline - 1);
                    filled -= newline + 1;
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        }
    }

    private static void Send(Socket client, string line) => client.Send(Encoding.UTF8.GetBytes(line + "\n"));

    /// <summary>Parses and executes one request line; returns the reply line.</summary>
    public string Handle(ReadOnlySpan<byte> line)
    {
        string reply = Handle(line, out var afterReply);
        afterReply?.Invoke();
        return reply;
    }

    /// <param name="afterReply">What to do once the reply is sent: a saved domain ends only after its save was reported,
    /// since the process exits with it.</param>
    private string Handle(ReadOnlySpan<byte> line, out Action? afterReply)
    {
        afterReply = null;
        string? command;
        ulong? targetMiB = null;
        string? name = null;
        string? path = null;
        bool keep = false;
        try
        {
            using var doc = JsonDocument.Parse(line.ToArray());
            if (doc.RootElement.ValueKind != JsonValueKind.Object ||
                !doc.RootElement.TryGetProperty("cmd", out var cmd) || cmd.ValueKind != JsonValueKind.String)
                return Error("request must be a JSON object with a string member \"cmd\"");
            command = cmd.GetString();
            if (doc.RootElement.TryGetProperty("target_mib", out var t))
            {
                if (t.ValueKind != JsonValueKind.Number || !t.TryGetUInt64(out ulong v))
                    return Error("\"target_mib\" must be a whole number of MiB");
                targetMiB = v;
            }
            if (doc.RootElement.TryGetProperty("name", out var n))
            {
                if (n.ValueKind != JsonValueKind.String) return Error("\"name\" must be a string");
                name = n.GetString();
            }
            if (doc.RootElement.TryGetProperty("path", out var p))
            {
                if (p.ValueKind != JsonValueKind.String) return Error("\"path\" must be a string");
                path = p.GetString();
            }
            if (doc.RootElement.TryGetProperty("keep", out var k))
            {
                if (k.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) return Error("\"keep\" must be true or false");
                keep = k.GetBoolean();
            }
        }
        catch (JsonException e)
        {
            return Error($"malformed JSON: {e.Message}");
        }
        switch (command)
        {
            case "shutdown":
                return _runner.Shutdown() ? Ok() : Error("the domain is not running");
            case "destroy":
                _runner.Destroy();
                return Ok();
            case "info":
                var d = _runner.Current;
                if (d is null) return Error("the domain is not running");
                var balloon = d.Devices.Balloon;
                ulong balloonMiB = balloon is null ? 0 : balloon.ActualPages / 256;
                ulong targetBalloonMiB = balloon is null ? 0 : balloon.TargetPages / 256;
                return $"{{\"ok\":true,\"name\":{JsonSerializer.Serialize(d.Spec.Name, DomainSpecJsonContext.Default.String)},\"state\":\"{(d.Machine.IsPaused ? "paused" : "running")}\",\"vcpus\":{d.OnlineVcpus().Length}," +
                    $"\"memory_mib\":{d.RamMiB - balloonMiB},\"target_mib\":{d.RamMiB - targetBalloonMiB},\"max_memory_mib\":{d.RamMiB}," +
                    $"\"balloon_inflated_pages\":{balloon?.InflatedPages ?? 0},\"balloon_discard_failures\":{balloon?.DiscardFailures ?? 0}}}";
            case "stats":
                return _runner.Current is { } measured ? DomainStatsReply.Format(measured) : Error("the domain is not running");
            case "pause":
                if (_runner.Current is not { } toPause) return Error("the domain is not running");
                toPause.Machine.Pause();
                return Ok();
            case "unpause":
                if (_runner.Current is not { } toResume) return Error("the domain is not running");
                toResume.Machine.Resume();
                return Ok();
            case "mem-set":
                if (targetMiB is not { } target) return Error("mem-set needs \"target_mib\"");
                if (_runner.Current is not { } running) return Error("the domain is not running");
                return running.SetMemoryTarget(target) is { } problem ? Error(problem) : Ok();
            case "reboot":
                // A hard reset, as xl trigger reset / xl reboot -F on a guest without PV drivers: the domain's
                // on_reboot action applies (restart by default).
                if (_runner.Current is not { } current) return Error("the domain is not running");
                current.Machine.RequestShutdown(Machine.ShutdownReason.Reboot, "reboot requested by the toolstack");
                return Ok();
            case "rename":
                if (string.IsNullOrEmpty(name)) return Error("rename needs \"name\"");
                if (_rename is null) return Error("this domain cannot be renamed");
                return _rename(name) is { } why ? Error(why) : Ok();
            case "save":
                var saveOptions = SaveRestore.SaveRequestOptions.Parse(line, out string? saveOptionsError);
                if (saveOptions is null) return Error(saveOptionsError!);
                // xl save -p keeps the domain (paused), as -c does (running).
                keep |= saveOptions.LeavePaused;
                string saveReply = Save(path, keep, saveOptions);
                if (!keep) afterReply = _runner.EndSaved;
                return saveReply;
            case "vcpu-set":
                return VcpuSetRequest.Set(_runner.Current, line);
            case "vcpus":
                return VcpuSetRequest.Describe(_runner.Current);
            case "migrate":
                string migrateReply = Migration.MigrateRequest.Handle(_runner, line, out bool migrated);
                if (migrated) afterReply = _runner.EndMigrated;
                return migrateReply;
            default:
                return Error($"unknown command \"{command}\" (expected shutdown, reboot, destroy, pause, unpause, info, stats, mem-set, vcpu-set, vcpus, rename, save or migrate)");
        }
    }

    // xl save: the path must be absolute (this process's working directory is not the client's).
    private string Save(string? path, bool keep, SaveRestore.SaveRequestOptions options)
    {
        if (string.IsNullOrEmpty(path)) return Error("save needs \"path\"");
        if (!System.IO.Path.IsPathFullyQualified(path)) return Error($"save needs an absolute path, not \"{path}\"");
        try
        {
            var r = _runner.Save(path, keep, options);
            return FormattableString.Invariant(
                $"{{\"ok\":true,\"bytes\":{r.Bytes},\"data_pages\":{r.DataPages},\"zero_pages\":{r.ZeroPages},\"devices\":{r.Devices},\"downtime_ms\":{r.Downtime.TotalMilliseconds:0.###}}}");
        }
        catch (SaveRestore.DomainSaveException e)
        {
            return Error(e.Message);
        }
    }

    private static string Ok() => "{\"ok\":true}";

    private static string Error(string message) =>
        $"{{\"ok\":false,\"error\":{JsonSerializer.Serialize(message, DomainSpecJsonContext.Default.String)}}}";

    public void Dispose() => _listener.Dispose();
}
