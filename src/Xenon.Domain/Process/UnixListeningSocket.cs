using System.Net.Sockets;

namespace Xenon.Domain.Process;

/// <summary>
/// A Unix stream socket bound and listening at a path of a domain's runtime directory, for the one request a domain
/// process waits for (restore.sock, migrate.sock). The caller accepts on <see cref="Socket"/> itself, on its own
/// thread and terms; <see cref="RemovePath"/> stops new clients without closing the socket (closing costs .NET
/// milliseconds that a caller may want outside its timed window), and disposing closes it and removes the path.
/// </summary>
public sealed class UnixListeningSocket : IDisposable
{
    private UnixListeningSocket(Socket socket, string path)
    {
        Socket = socket;
        Path = path;
    }

    public Socket Socket { get; }

    public string Path { get; }

    /// <summary>Binds <paramref name="path"/> (a file left there by an earlier process is replaced) and listens.</summary>
    /// <param name="purpose">What is awaited there, for the error ("the restore request").</param>
    /// <exception cref="IOException">The path cannot be bound: the message names it, the purpose and the cause.</exception>
    public static UnixListeningSocket Listen(string path, int backlog, string purpose)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            File.Delete(path);
            socket.Bind(new UnixDomainSocketEndPoint(path));
            socket.Listen(backlog);
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            socket.Dispose();
            throw new IOException($"cannot listen on {path} for {purpose}: {e.Message}", e);
        }
        return new UnixListeningSocket(socket, path);
    }

    /// <summary>Removes the path: nobody can connect any more; a connection already queued stays until the close.</summary>
    public void RemovePath()
    {
        try { File.Delete(Path); } catch (IOException) { }
    }

    public void Dispose()
    {
        Socket.Dispose();
        RemovePath();
    }
}
