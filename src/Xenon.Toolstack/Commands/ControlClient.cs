using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Xenon.Domain.Process;

namespace Xenon.Toolstack.Commands;

/// <summary>One request/reply exchange on a domain process's control socket (docs/control-protocol.md).</summary>
public static class ControlClient
{
    /// <summary>Sends {"cmd": command}; returns null on success or the domain's error message.</summary>
    public static string? Send(DomainRuntimeDirectory dir, string command) => Send(dir, command, "");

    /// <summary>Sends {"cmd": command} and returns the whole reply object when it says ok; null (and the reason in
    /// <paramref name="error"/>) otherwise.</summary>
    public static JsonElement? Query(DomainRuntimeDirectory dir, string command, out string? error) =>
        Query(dir, command, "", DefaultReplyTimeout, out error);

    /// <summary>As <see cref="Query(DomainRuntimeDirectory, string, out string?)"/> with further members and a reply
    /// timeout of its own (a save answers only once its file is complete).</summary>
    public static JsonElement? Query(DomainRuntimeDirectory dir, string command, string members, TimeSpan replyTimeout, out string? error)
    {
        var reply = Exchange(dir, command, members, replyTimeout, out error);
        if (reply is not { } r) return null;
        if (r.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.True) return r;
        error = r.TryGetProperty("error", out var err) && err.ValueKind == JsonValueKind.String ? err.GetString() : "the domain refused the request";
        return null;
    }

    /// <param name="members">Further JSON members, already encoded, starting with a comma (e.g. <c>,"target_mib":256</c>).</param>
    public static string? Send(DomainRuntimeDirectory dir, string command, string members)
    {
        var reply = Exchange(dir, command, members, DefaultReplyTimeout, out var error);
        if (reply is not { } r) return error;
        if (r.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.True) return null;
        return r.TryGetProperty("error", out var err) && err.ValueKind == JsonValueKind.String ? err.GetString() : "the domain refused the request";
    }

    private static readonly TimeSpan DefaultReplyTimeout = TimeSpan.FromSeconds(10);

    private static JsonElement? Exchange(DomainRuntimeDirectory dir, string command, string members, TimeSpan replyTimeout, out string? error)
    {
        error = null;
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(dir.ControlSocket));
        }
        catch (SocketException e)
        {
            error = $"cannot reach the domain process at {dir.ControlSocket}: {e.Message}";
            return null;
        }
        var reply = new List<byte>();
        try
        {
            socket.ReceiveTimeout = (int)replyTimeout.TotalMilliseconds;
            socket.Send(Encoding.UTF8.GetBytes($"{{\"cmd\":\"{command}\"{members}}}\n"));
            var buf = new byte[512];
            while (!reply.Contains((byte)'\n'))
            {
                int n = socket.Receive(buf);
                if (n <= 0) break;
                reply.AddRange(buf.AsSpan(0, n).ToArray());
            }
        }
        catch (SocketException e)
        {
            error = $"the domain process at {dir.ControlSocket} did not answer: {e.Message}";
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(reply.ToArray());
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                error = "the domain process sent a malformed reply";
                return null;
            }
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            error = "the domain process sent a malformed reply";
            return null;
        }
    }
}
