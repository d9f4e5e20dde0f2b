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

    public ControlServer(DomainRunner runner, string path)
    {
        _runner = runner;
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
                    string reply = Handle(buffer.AsSpan(0, newline));
                    Send(client, reply);
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
        string? command;
        try
        {
            using var doc = JsonDocument.Parse(line.ToArray());
            if (doc.RootElement.ValueKind != JsonValueKind.Object ||
                !doc.RootElement.TryGetProperty("cmd", out var cmd) || cmd.ValueKind != JsonValueKind.String)
                return Error("request must be a JSON object with a string member \"cmd\"");
            command = cmd.GetString();
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
                return d is null
                    ? Error("the domain is not running")
                    : $"{{\"ok\":true,\"name\":{JsonSerializer.Serialize(d.Spec.Name, DomainSpecJsonContext.Default.String)},\"state\":\"running\",\"vcpus\":{d.Spec.Vcpus},\"memory_mib\":{d.Spec.MemoryMiB}}}";
            default:
                return Error($"unknown command \"{command}\" (expected shutdown, destroy or info)");
        }
    }

    private static string Ok() => "{\"ok\":true}";

    private static string Error(string message) =>
        $"{{\"ok\":false,\"error\":{JsonSerializer.Serialize(message, DomainSpecJsonContext.Default.String)}}}";

    public void Dispose() => _listener.Dispose();
}
