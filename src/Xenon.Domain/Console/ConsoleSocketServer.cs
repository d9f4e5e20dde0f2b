using System.Net.Sockets;

namespace Xenon.Domain.Console;

/// <summary>
/// The domain's console on a Unix stream socket (what <c>xenon create -c</c> and, later,
/// <c>xenon console</c> attach to): bytes from the guest's UART go to every attached client; bytes
/// from a client go to the UART. Closing the socket ends the attachment, not the domain.
/// </summary>
public sealed class ConsoleSocketServer : IDisposable
{
    private readonly DomainRunner _runner;
    private readonly Socket _listener;
    private readonly string _path;
    private volatile bool _disposed;

    public ConsoleSocketServer(DomainRunner runner, string path)
    {
        _runner = runner;
        _path = path;
        File.Delete(path);
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        _listener.Listen(4);
        var t = new Thread(AcceptLoop) { Name = "console-accept", IsBackground = true };
        t.Start();
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
            catch (SocketException) { return; }
            catch (ObjectDisposedException) { return; }
            var output = new SocketConsoleOutput(client);
            _runner.Console.Attach(output);
            var pump = new ConsoleInputPump(new NetworkStream(client, ownsSocket: false), () => _runner.Current?.Platform.Serial);
            pump.Ended += _ =>
            {
                _runner.Console.Detach(output);
                client.Dispose();
            };
            pump.Start();
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _listener.Dispose();
        try { File.Delete(_path); } catch (IOException) { }
    }
}
