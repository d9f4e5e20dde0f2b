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

    /// <param name="members">Further JSON members, already encoded, starting with a comma (e.g. <c>,"target_mib":256</c>).</param>
    public static string? Send(DomainRuntimeDirectory dir, string command, string members)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(dir.ControlSocket));
        }
        catch (SocketException e)
        {
            return $"cannot reach the domain process at {dir.ControlSocket}: {e.Message}";
        }
        socket.Send(Encoding.UTF8.GetBytes($"{{\"cmd\":\"{command}\"{members}}}\n"));
        var reply = new List<byte>();
        var buf = new byte[512];
        while (!reply.Contains((byte)'\n'))
        {
            int n = socket.Receive(buf);
            if (n <= 0) break;
            reply.AddRange(buf.AsSpan(0, n).ToArray());
        }
        try
        {
            using var doc = JsonDocument.Parse(reply.ToArray());
            if (doc.RootElement.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.True) return null;
            return doc.RootElement.TryGetProperty("error", out var err) ? err.GetString() : "the domain refused the request";
        }
        catch (JsonException)
        {
            return "the domain process sent a malformed reply";
        }
    }
}
