using System.Net.Sockets;
using Xenon.Domain.Process;

namespace Xenon.Domain.Console;

/// <summary>
/// The domain's console on a Unix stream socket (what <c>xenon create -c</c> and, later,
/// <c>xenon console</c> attach to): bytes from the guest's UART go to every attached client; bytes
/// from a client go to the UART. Closing the socket ends the attachment, not the domain.
/// </summary>
public sealed class ConsoleSocketServer : IDisposable
{
    private readonly DomainRunner _runner;
    private readonly UnixSocketListener _listener;

    public ConsoleSocketServer(DomainRunner runner, string path)
    {
        _runner = runner;
        _listener = new UnixSocketListener(path, "console-accept", Attach);
    }

    private void Attach(Socket client)
    {
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

    public void Dispose() => _listener.Dispose();
}
