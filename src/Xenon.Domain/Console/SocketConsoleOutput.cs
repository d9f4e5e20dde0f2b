using System.Net.Sockets;
using Xenon.Devices.Legacy.Serial;

namespace Xenon.Domain.Console;

/// <summary>Console output to one attached client. A client that stops reading is dropped rather
/// than allowed to stall the vCPU: sends have a short timeout.</summary>
public sealed class SocketConsoleOutput : ISerialOutput
{
    private readonly Socket _socket;
    private readonly object _lock = new();

    public SocketConsoleOutput(Socket socket)
    {
        _socket = socket;
        _socket.SendTimeout = 2000;
    }

    public void Write(ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            try
            {
                while (!data.IsEmpty) data = data[_socket.Send(data)..];
            }
            catch (SocketException e)
            {
                throw new IOException("console client went away", e);
            }
        }
    }
}
