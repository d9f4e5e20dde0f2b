using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Xenon.Domain.Process;

namespace Xenon.Domain.SaveRestore;

/// <summary>
/// A domain process started by <c>xenon restore --prepare CONFIG</c> (docs/save-restore.md, "A prepared restore"): its
/// runtime directory holds <c>restore-prepared</c>. The process builds the machine without a kernel, starts its vCPU
/// threads parked, runs the restore's apply once on the machine's own state (<see cref="RestoreWarmup"/>), writes the
/// state <c>prepared</c> and waits on <c>restore.sock</c> for one request (<see cref="RestoreRequestText"/>, ended by
/// the client shutting down its side). It answers <c>running</c> or <c>paused</c> once the restore is done, or
/// <c>error: …</c> when it failed (the process then ends, as a failed restore's does). A request it cannot read is
/// answered <c>refused: …</c> and the process waits for the next one.
/// </summary>
public sealed class PreparedRestore : IDisposable
{
    public const string RequestFileName = "restore-prepared";
    public const string SocketFileName = "restore.sock";

    /// <summary>The state file's line while the domain waits for its saved file.</summary>
    public const string PreparedState = "prepared";

    /// <summary>The answer to a request that could not be read: the domain still waits.</summary>
    public const string RefusedPrefix = "refused: ";

    /// <summary>The answer when the restore failed: the domain process ends.</summary>
    public const string ErrorPrefix = "error: ";

    /// <summary>How long a connected client may take to send its request.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private readonly DomainRuntimeDirectory _dir;
    private readonly UnixListeningSocket _listener;
    private readonly string _path;
    private readonly Action<string> _log;
    private Socket? _client;
    private volatile bool _cancelled;

    private PreparedRestore(DomainRuntimeDirectory dir, UnixListeningSocket listener, Action<string> log)
    {
        _dir = dir;
        _listener = listener;
        _path = listener.Path;
        _log = log;
    }

    public static string SocketPath(DomainRuntimeDirectory dir) => System.IO.Path.Combine(dir.Path, SocketFileName);

    /// <summary>Marks <paramref name="dir"/> as a prepared restore (the toolstack, beside spec.json).</summary>
    public static void WriteRequest(DomainRuntimeDirectory dir) => dir.WriteFile(RequestFileName, "restore prepared\n");

    /// <summary>True if <paramref name="dir"/> was registered by <c>restore --prepare</c>.</summary>
    public static bool IsRequested(DomainRuntimeDirectory dir) => File.Exists(System.IO.Path.Combine(dir.Path, RequestFileName));

    /// <summary>The prepared restore of <paramref name="dir"/>, its socket bound; null if the directory holds no request.</summary>
    /// <exception cref="IOException">The socket cannot be bound (the message names it).</exception>
    public static PreparedRestore? For(DomainRuntimeDirectory dir, Action<string> log)
    {
        if (!IsRequested(dir)) return null;
        return new PreparedRestore(dir, UnixListeningSocket.Listen(SocketPath(dir), 4, "the restore request"), log);
    }

    /// <summary>Parks the vCPU threads, warms the apply, and says so in the state file. A failed warm-up is only logged.</summary>
    public void Prepare(IRestoreTarget target)
    {
        var clock = Stopwatch.StartNew();
        target.StartParked();
        var parked = clock.Elapsed;
        string warm;
        try
        {
            warm = RestoreWarmup.Warm(target) ? "warmed" : "no warm-up (the target cannot capture its state)";
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            warm = $"warm-up failed (the restore will run cold): {e.GetType().Name}: {e.Message}";
        }
        target.PrepareDevices();
        _log($"restore: prepared: vCPUs parked {parked.TotalMilliseconds:0.0} ms, {warm} {(clock.Elapsed - parked).TotalMilliseconds:0.0} ms; waiting on {_path}");
        _dir.WriteFile("state", PreparedState + "\n");
    }

    /// <summary>Waits for a well-formed request (malformed ones are answered and dropped). Null once <see cref="Cancel"/>
    /// was called. <paramref name="received"/> runs from the request's connection being accepted.</summary>
    public RestoreRequest? WaitForRequest(out Stopwatch received)
    {
        received = new Stopwatch();
        while (!_cancelled)
        {
            Socket client;
            try
            {
                client = _listener.Socket.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (_cancelled) return null;
                throw new IOException($"waiting on {_path} for the restore request: {e.Message}", e);
            }
            received.Restart();
            try
            {
                var request = RestoreRequestText.Parse(ReadRequest(client), $"the restore request on {_path}");
                _client = client;
                // Nobody can connect once the path is gone. The listener itself is closed after the answer: closing a
                // socket costs .NET 5-7 ms on this host (its unblocking of other threads), and that would fall
                // inside restore-to-running.
                _listener.RemovePath();
                return request;
            }
            catch (Exception e) when (e is InvalidDataException or SocketException or IOException)
            {
                _log($"restore: refused a request on {_path}: {e.Message}");
                Send(client, $"{RefusedPrefix}{e.Message}");
                client.Dispose();
            }
        }
        return null;
    }

    /// <summary>Answers the request taken by <see cref="WaitForRequest"/> ("running", "paused" or "error: …"); the
    /// client having gone is only logged (the state file says the same).</summary>
    public void Answer(string line)
    {
        if (_client is not { } client) return;
        _client = null;
        if (!Send(client, line)) _log($"restore: the requester left before the answer ({line})");
        client.Dispose();
        // A client that connected before the path went gets its connection reset here (the restore is taken).
        Close();
    }

    /// <summary>Stops the wait (xl destroy of a prepared domain): <see cref="WaitForRequest"/> returns null.</summary>
    public void Cancel()
    {
        _cancelled = true;
        Close();
    }

    private static string ReadRequest(Socket client)
    {
        client.ReceiveTimeout = (int)RequestTimeout.TotalMilliseconds;
        var buffer = new byte[RestoreRequestText.MaxLength + 1];
        int length = 0;
        while (length < buffer.Length)
        {
            int n = client.Receive(buffer.AsSpan(length));
            if (n == 0) break;
            length += n;
        }
        if (length == buffer.Length) throw new InvalidDataException($"the request is longer than {RestoreRequestText.MaxLength} bytes");
        return Encoding.UTF8.GetString(buffer, 0, length);
    }

    private static bool Send(Socket client, string line)
    {
        try
        {
            client.Send(Encoding.UTF8.GetBytes(line.ReplaceLineEndings(" ") + "\n"));
            client.Shutdown(SocketShutdown.Send);
            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    private void Close() => _listener.Dispose();

    public void Dispose()
    {
        Close();
        _client?.Dispose();
    }
}
