using System.Net;
using System.Net.Sockets;

namespace Xenon.Domain.Migration;

/// <summary>
/// The two directions between a migration's sender and its receiver: a socket (TCP, or a Unix socket to a toolstack
/// that relays to ssh), or a child process's stdin and stdout. <see cref="Abort"/> breaks it so that a blocked read
/// or write on either side fails at once.
/// </summary>
public sealed class MigrationChannel : IDisposable
{
    private readonly Action? _abort;
    private readonly IDisposable? _owner;
    private int _disposed;

    public MigrationChannel(Stream send, Stream receive, Action? abort = null, IDisposable? owner = null)
    {
        ArgumentNullException.ThrowIfNull(send);
        ArgumentNullException.ThrowIfNull(receive);
        Send = send;
        Receive = receive;
        _abort = abort;
        _owner = owner;
    }

    public Stream Send { get; }
    public Stream Receive { get; }

    /// <summary>A connected socket; the channel owns it.</summary>
    public static MigrationChannel ForSocket(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (socket.ProtocolType == ProtocolType.Tcp) socket.NoDelay = true;
        var stream = new NetworkStream(socket, ownsSocket: true);
        return new MigrationChannel(stream, stream, () =>
        {
            try { socket.Shutdown(SocketShutdown.Both); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        }, stream);
    }

    /// <summary>Connects to <c>tcp:HOST:PORT</c> or <c>unix:PATH</c>.</summary>
    /// <exception cref="ArgumentException">The target is not of either form.</exception>
    /// <exception cref="SocketException">The connection failed.</exception>
    public static MigrationChannel Connect(string target, TimeSpan timeout)
    {
        ArgumentException.ThrowIfNullOrEmpty(target);
        Socket socket;
        EndPoint endPoint;
        if (target.StartsWith("unix:", StringComparison.Ordinal))
        {
            socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            endPoint = new UnixDomainSocketEndPoint(target[5..]);
        }
        else if (target.StartsWith("tcp:", StringComparison.Ordinal) && TryParseHostPort(target[4..], out string host, out int port))
        {
            var address = IPAddress.TryParse(host, out var a) ? a : Dns.GetHostAddresses(host).FirstOrDefault()
                ?? throw new SocketException((int)SocketError.HostNotFound);
            socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            endPoint = new IPEndPoint(address, port);
        }
        else
        {
            throw new ArgumentException($"a migration target is tcp:HOST:PORT or unix:PATH, not \"{target}\"", nameof(target));
        }
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            socket.ConnectAsync(endPoint, cts.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            socket.Dispose();
            throw new SocketException((int)SocketError.TimedOut);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return ForSocket(socket);
    }

    /// <summary>HOST:PORT, HOST a name, an IPv4 address or a bracketed IPv6 address.</summary>
    public static bool TryParseHostPort(string text, out string host, out int port)
    {
        host = "";
        port = 0;
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, null, out port) || port is < 1 or > 65535)
            return false;
        host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        return host.Length > 0;
    }

    public void Abort()
    {
        try
        {
            _abort?.Invoke();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException) { }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Abort();
        if (_owner is not null) _owner.Dispose();
        else
        {
            Send.Dispose();
            Receive.Dispose();
        }
    }
}
