using System.Net.Sockets;
using System.Text;
using Xenon.Store.Wire;

namespace Xenon.Store.Tests;

/// <summary>A raw client on the daemon's socket, for tests that speak (or abuse) the wire protocol.</summary>
internal sealed class SocketClient : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private uint _nextRequest = 1;

    public SocketClient(string path)
    {
        _socket.Connect(new UnixDomainSocketEndPoint(path));
        _socket.ReceiveTimeout = 5000;
    }

    public void SendRaw(byte[] bytes) => _socket.Send(bytes);

    /// <summary>Sends bytes the daemon may already have refused: false when it had closed the connection
    /// (broken pipe or reset), which is what a test of a refused client expects to race with.</summary>
    public bool TrySendRaw(byte[] bytes)
    {
        try
        {
            _socket.Send(bytes);
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.Shutdown or SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            return false;
        }
    }

    public void Send(XsMessageType type, uint tx, params string[] args)
    {
        var payload = Encoding.Latin1.GetBytes(string.Concat(args.Select(a => a + "\0")));
        var frame = new byte[XsHeader.Size + payload.Length];
        XsFramer.WriteFrame(frame, type, _nextRequest++, tx, payload);
        _socket.Send(frame);
    }

    public SentMessage Receive()
    {
        var header = new byte[XsHeader.Size];
        ReadExactly(header);
        var parsed = XsHeader.Read(header);
        Assert.True(parsed.Length <= XsHeader.PayloadMax, $"daemon sent an oversized payload: {parsed}");
        var payload = new byte[parsed.Length];
        ReadExactly(payload);
        return new SentMessage(parsed, payload);
    }

    /// <summary>Sends a request and returns its reply, skipping watch events.</summary>
    public SentMessage Call(XsMessageType type, uint tx, params string[] args)
    {
        Send(type, tx, args);
        while (true)
        {
            var message = Receive();
            if (message.Header.Type != XsMessageType.WatchEvent)
            {
                return message;
            }
        }
    }

    /// <summary>True when the daemon has closed this connection (EOF or reset) within the timeout.</summary>
    public bool IsClosedByPeer(int timeoutMs = 5000)
    {
        _socket.ReceiveTimeout = timeoutMs;
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                if (_socket.Receive(buffer) == 0)
                {
                    return true;
                }
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut || e.SocketErrorCode == SocketError.WouldBlock)
        {
            return false;
        }
    }

    public void Dispose() => _socket.Dispose();

    private void ReadExactly(byte[] buffer)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var n = _socket.Receive(buffer, done, buffer.Length - done, SocketFlags.None);
            if (n == 0)
            {
                throw new IOException($"daemon closed the connection after {done} of {buffer.Length} bytes");
            }

            done += n;
        }
    }
}

/// <summary>A daemon on a fresh temporary socket, stopped at the end of the test.</summary>
internal sealed class TempDaemon : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("xenon-xs-").FullName;

    public TempDaemon(Xenon.Store.Store.XsQuotas? quotas = null)
    {
        SocketPath = Path.Combine(_directory, "socket");
        Daemon = new Xenon.Store.Server.XenStoreDaemon(SocketPath, quotas);
        Daemon.Start();
    }

    public string SocketPath { get; }

    public Xenon.Store.Server.XenStoreDaemon Daemon { get; }

    public void Dispose()
    {
        Daemon.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
