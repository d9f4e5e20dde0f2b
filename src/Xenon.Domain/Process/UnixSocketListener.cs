using System.Net.Sockets;

namespace Xenon.Domain.Process;

/// <summary>A Unix stream socket at a path, accepting on a background thread and handing each
/// client to <c>onClient</c>; disposing closes it and removes the path. Shared by the console and
/// control sockets of a domain process.</summary>
public sealed class UnixSocketListener : IDisposable
{
    private readonly Socket _listener;
    private readonly string _path;
    private readonly Action<Socket> _onClient;
    private volatile bool _disposed;

    public UnixSocketListener(string path, string name, Action<Socket> onClient)
    {
        _path = path;
        _onClient = onClient;
        File.Delete(path);
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        _listener.Listen(8);
        new Thread(AcceptLoop) { Name = name, IsBackground = true }.Start();
    }

    private void AcceptLoop()
    {
        while (!_disposed)
        {
            Socket client;
            try
            {
                client = _listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
            _onClient(client);
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _listener.Dispose();
        try { File.Delete(_path); } catch (IOException) { }
    }
}
