using System.Net.Sockets;
using System.Text;

namespace Xenon.System.Tests.SoftBackend;

/// <summary>A detached domain's console (its runtime directory's console.sock), read into memory on a background task
/// until the domain process closes it. What the domain replays on connecting (its recent output) comes first.</summary>
internal sealed class ConsoleTap : IDisposable
{
    private readonly Socket _socket;
    private readonly StringBuilder _text = new();
    private readonly Task _pump;

    private ConsoleTap(Socket socket)
    {
        _socket = socket;
        _pump = Task.Run(Pump);
    }

    /// <summary>Connects to <paramref name="path"/>, retrying while the socket is not there yet; null after the timeout.</summary>
    public static ConsoleTap? Connect(string path, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                socket.Connect(new UnixDomainSocketEndPoint(path));
                return new ConsoleTap(socket);
            }
            catch (SocketException)
            {
                socket.Dispose();
                if (DateTime.UtcNow > deadline) return null;
                Thread.Sleep(100);
            }
        }
    }

    public string Text
    {
        get { lock (_text) return _text.ToString(); }
    }

    /// <summary>True once the domain process has closed the console (it ended).</summary>
    public bool Closed => _pump.IsCompleted;

    /// <summary>Waits until <paramref name="done"/> holds for the text read so far; false on timeout or if the console
    /// closed first without it holding.</summary>
    public bool WaitUntil(Func<string, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            bool closed = Closed;
            if (done(Text)) return true;
            if (closed || DateTime.UtcNow > deadline) return false;
            Thread.Sleep(100);
        }
    }

    private void Pump()
    {
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = _socket.Receive(buffer)) > 0)
                lock (_text) _text.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The domain went away, or the tap was disposed.
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        _pump.Wait(TimeSpan.FromSeconds(5));
    }
}
