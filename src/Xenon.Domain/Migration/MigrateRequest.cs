using System.Net.Sockets;
using System.Text.Json;
using Xenon.Domain.Process;

namespace Xenon.Domain.Migration;

/// <summary>
/// The control socket's <c>migrate</c> request (docs/control-protocol.md):
/// <c>{"cmd":"migrate","target":"tcp:HOST:PORT"|"unix:PATH","destination":"HOST","paused":false}</c> (destination: the
/// name errors and the outcome use, when the target is a relay). The domain process connects to the
/// target itself (a receiver's listening socket, or the toolstack's relay to ssh) and answers once the migration is
/// over: with the figures, or with the error naming the step and whether the domain still runs here.
/// </summary>
public static class MigrateRequest
{
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);

    /// <param name="migrated">True when the domain now runs at the target: the caller ends it once the reply is sent.</param>
    public static string Handle(DomainRunner runner, ReadOnlySpan<byte> line, out bool migrated)
    {
        ArgumentNullException.ThrowIfNull(runner);
        migrated = false;
        string? target;
        string? destination = null;
        bool paused = false;
        try
        {
            using var doc = JsonDocument.Parse(line.ToArray());
            var root = doc.RootElement;
            if (!root.TryGetProperty("target", out var t) || t.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(target = t.GetString()))
                return Error("migrate needs \"target\": \"tcp:HOST:PORT\" or \"unix:PATH\"", sourceRunning: true);
            if (root.TryGetProperty("destination", out var d))
            {
                if (d.ValueKind != JsonValueKind.String) return Error("\"destination\" must be a string", sourceRunning: true);
                destination = d.GetString();
            }
            if (root.TryGetProperty("paused", out var p))
            {
                if (p.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) return Error("\"paused\" must be true or false", sourceRunning: true);
                paused = p.GetBoolean();
            }
        }
        catch (JsonException e)
        {
            return Error($"malformed JSON: {e.Message}", sourceRunning: true);
        }
        MigrationChannel channel;
        try
        {
            channel = MigrationChannel.Connect(target, ConnectTimeout);
        }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
            return Error($"cannot migrate to {destination ?? target}: connecting to {target}: {e.Message}", sourceRunning: true);
        }
        using (channel)
        {
            try
            {
                var r = runner.Migrate(channel, string.IsNullOrEmpty(destination) ? target : destination, MigrationPolicy.Default, paused);
                migrated = true;
                return Format(r);
            }
            catch (MigrationException e)
            {
                return Error(e.Message, e.SourceRunning);
            }
        }
    }

    private static string Format(MigrationResult r)
    {
        var final = r.Rounds[^1];
        return FormattableString.Invariant(
            $"{{\"ok\":true,\"bytes\":{r.BytesSent},\"pages\":{r.PagesSent},\"passes\":{r.Rounds.Count},\"final_pages\":{final.Pages},") +
            $"\"stop_reason\":\"{r.StopReason}\"," +
            FormattableString.Invariant(
                $"\"downtime_ms\":{r.Downtime.TotalMilliseconds:0.###},") +
            (r.ResumedAfterPause is { } resumed ? FormattableString.Invariant($"\"resumed_after_pause_ms\":{resumed.TotalMilliseconds:0.###},") : "") +
            FormattableString.Invariant(
                $"\"stop_copy_ms\":{r.StopCopy.TotalMilliseconds:0.###},\"total_ms\":{r.Total.TotalMilliseconds:0.###},") +
            $"\"rounds\":[{string.Join(",", r.Rounds.Select(x => FormattableString.Invariant($"{{\"pages\":{x.Pages},\"bytes\":{x.Bytes},\"ms\":{x.Duration.TotalMilliseconds:0.###},\"paused\":{(x.Paused ? "true" : "false")}}}")))}]," +
            $"\"report\":{Json(r.DestinationReport)}}}";
    }

    private static string Error(string message, bool sourceRunning) =>
        $"{{\"ok\":false,\"error\":{Json(message)},\"source_running\":{(sourceRunning ? "true" : "false")}}}";

    private static string Json(string s) => JsonSerializer.Serialize(s, DomainSpecJsonContext.Default.String);
}
