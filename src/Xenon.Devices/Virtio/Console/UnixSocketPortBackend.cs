using System.Net.Sockets;

namespace Xenon.Devices.Virtio.Console;

/// <summary>
/// A console port's host end as a Unix stream socket server (xl's <c>channel=['name=..., connection=socket,
/// path=...']</c>): one client at a time; further clients are accepted and closed at once (counted). Bytes
/// from the client wait in a bounded input buffer for the guest (when it is full the backend stops reading,
/// so the client is pushed back); guest output waits in a bounded output buffer for the client (when it is
/// full the device holds the guest's buffers). When no client is attached guest output is dropped and counted;
/// what the last client sent before leaving still reaches the guest.
/// </summary>
/// <remarks>The listening socket is bound in the constructor (so a bad path fails at domain build), accepting
/// starts at <see cref="Start"/>. A file already at the path is replaced, as QEMU's socket server does, unless
/// a live server answers there.</remarks>
public sealed class UnixSocketPortBackend : IBufferedPortBackend, IDisposable
{
    public const int DefaultBufferBytes = 64 * 1024;
    private const int ChunkBytes = 4096;

    private readonly object _lock = new();
    private readonly Socket _listener;
    private readonly ByteRing _input;
    private readonly ByteRing _output;
    private readonly CancellationTokenSource _stop = new();
    private Action? _wake;
    private Session? _session;
    private Task? _acceptLoop;
    private bool _disposed;
    private long _dropped;
    private long _accepted;
    private long _rejected;

    /// <param name="path">Where to listen.</param>
    /// <param name="bufferBytes">Capacity of each direction's buffer (4 KiB .. 16 MiB).</param>
    public UnixSocketPortBackend(string path, int bufferBytes = DefaultBufferBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (bufferBytes is < ChunkBytes or > 16 << 20) throw new ArgumentOutOfRangeException(nameof(bufferBytes), bufferBytes, "must be in 4 KiB .. 16 MiB");
        Path = path;
        _input = new ByteRing(bufferBytes);
        _output = new ByteRing(bufferBytes);
        RemoveStaleSocket(path);
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            _listener.Bind(new UnixDomainSocketEndPoint(path));
            _listener.Listen(4);
        }
        catch
        {
            _listener.Dispose();
            throw;
        }
    }

    public string Path { get; }

    public bool IsConnected
    {
        get { lock (_lock) return _session is not null; }
    }

    public bool HasInput
    {
        get { lock (_lock) return _input.Count > 0; }
    }

    /// <summary>Guest output discarded: written while no client was attached, or still buffered when a client left.</summary>
    public long BytesDropped => Interlocked.Read(ref _dropped);

    public long ClientsAccepted => Interlocked.Read(ref _accepted);

    /// <summary>Clients turned away because another was attached.</summary>
    public long ClientsRejected => Interlocked.Read(ref _rejected);

    public void Start(Action wake)
    {
        ArgumentNullException.ThrowIfNull(wake);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_wake is not null) throw new InvalidOperationException($"the port backend at {Path} is already started");
            _wake = wake;
        }
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public int Read(Span<byte> destination)
    {
        lock (_lock)
        {
            int n = _input.Read(destination);
            if (n > 0 && _session is { ReceiverWaiting: true } s)
            {
                s.ReceiverWaiting = false;
                s.InputSpace.Release();
            }
            return n;
        }
    }

    public int Write(ReadOnlySpan<byte> source)
    {
        lock (_lock)
        {
            if (_session is not { } s)
            {
                _dropped += source.Length;
                return source.Length;
            }
            int n = _output.Write(source);
            if (n > 0 && s.SenderIdle)
            {
                s.SenderIdle = false;
                s.OutputReady.Release();
            }
            if (n < source.Length) s.WriterBlocked = true;
            return n;
        }
    }

    /// <summary>Client bytes the guest has not read yet, oldest first (nothing is consumed).</summary>
    public byte[] PeekInput()
    {
        lock (_lock)
        {
            var bytes = new byte[_input.Count];
            _input.Peek(bytes);
            return bytes;
        }
    }

    /// <summary>Puts saved client bytes back in front of any input received since; false if they do not all fit.</summary>
    public bool TryRestoreInput(ReadOnlySpan<byte> input)
    {
        lock (_lock)
        {
            if (input.Length > _input.Free) return false;
            var newer = new byte[_input.Count];
            _input.Read(newer);
            _input.Write(input);
            _input.Write(newer);
            return true;
        }
    }

    public void Dispose()
    {
        Session? session;
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            session = _session;
        }
        _stop.Cancel();
        _listener.Dispose();
        if (session is not null) EndSession(session);
        try
        {
            _acceptLoop?.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The loop's failure has nowhere to go now; the socket is closed either way.
        }
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                if (_stop.IsCancellationRequested) return;
                continue; // a client that vanished between connect and accept
            }
            Session? session = null;
            lock (_lock)
            {
                if (_session is null && !_disposed)
                {
                    session = new Session(client);
                    _session = session;
                    _accepted++;
                }
                else
                {
                    _rejected++;
                }
            }
            if (session is null)
            {
                client.Dispose();
                continue;
            }
            _ = RunSessionAsync(session);
            Wake();
        }
    }

    private async Task RunSessionAsync(Session session)
    {
        var receive = ReceiveLoopAsync(session);
        var send = SendLoopAsync(session);
        await Task.WhenAny(receive, send).ConfigureAwait(false);
        EndSession(session);
        await Task.WhenAll(receive, send).ConfigureAwait(false);
    }

    /// <summary>Client → input buffer, never more than the buffer has room for; waits for the guest when it is full.</summary>
    private async Task ReceiveLoopAsync(Session session)
    {
        var chunk = new byte[ChunkBytes];
        try
        {
            while (true)
            {
                int room;
                lock (_lock)
                {
                    if (_session != session) return;
                    room = _input.Free;
                    if (room == 0) session.ReceiverWaiting = true;
                }
                if (room == 0)
                {
                    await session.InputSpace.WaitAsync(session.Cancel.Token).ConfigureAwait(false);
                    continue;
                }
                int n = await session.Socket.ReceiveAsync(chunk.AsMemory(0, Math.Min(room, chunk.Length)), SocketFlags.None, session.Cancel.Token).ConfigureAwait(false);
                if (n == 0) return; // the client closed its end
                lock (_lock)
                {
                    if (_session != session) return;
                    // Only this loop adds input, and it asked for no more than the room it saw.
                    _input.Write(chunk.AsSpan(0, n));
                }
                Wake();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Output buffer → client; wakes the device when it drained a buffer the device found full.</summary>
    private async Task SendLoopAsync(Session session)
    {
        var chunk = new byte[ChunkBytes];
        try
        {
            while (true)
            {
                int n;
                bool wakeWriter = false;
                lock (_lock)
                {
                    if (_session != session) return;
                    n = _output.Read(chunk);
                    if (n == 0) session.SenderIdle = true;
                    else if (session.WriterBlocked)
                    {
                        session.WriterBlocked = false;
                        wakeWriter = true;
                    }
                }
                if (wakeWriter) Wake();
                if (n == 0)
                {
                    await session.OutputReady.WaitAsync(session.Cancel.Token).ConfigureAwait(false);
                    continue;
                }
                for (int sent = 0; sent < n;)
                    sent += await session.Socket.SendAsync(chunk.AsMemory(sent, n - sent), SocketFlags.None, session.Cancel.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private void EndSession(Session session)
    {
        lock (_lock)
        {
            if (_session != session) return;
            _session = null;
            _dropped += _output.Count;
            _output.Clear();
        }
        session.Cancel.Cancel();
        session.Socket.Dispose();
        Wake();
    }

    private void Wake()
    {
        Action? wake;
        lock (_lock) wake = _disposed ? null : _wake;
        try
        {
            wake?.Invoke();
        }
        catch (ObjectDisposedException)
        {
            // The device's wake channel is gone: the domain is shutting down.
        }
    }

    /// <summary>A socket file left by a previous run is removed; one with a live server behind it is an error.</summary>
    private static void RemoveStaleSocket(string path)
    {
        if (Directory.Exists(path)) throw new IOException($"cannot listen on {path}: it is a directory");
        if (!File.Exists(path)) return;
        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(path));
                throw new IOException($"cannot listen on {path}: another server is listening there");
            }
            catch (SocketException)
            {
                // Nobody answers: a leftover.
            }
        }
        File.Delete(path);
    }

    /// <summary>One attached client and the signals between its loops and the device.</summary>
    private sealed class Session(Socket socket)
    {
        public Socket Socket { get; } = socket;
        public CancellationTokenSource Cancel { get; } = new();
        public SemaphoreSlim InputSpace { get; } = new(0);
        public SemaphoreSlim OutputReady { get; } = new(0);

        // Guarded by the backend's lock.
        public bool ReceiverWaiting { get; set; }
        public bool SenderIdle { get; set; }
        public bool WriterBlocked { get; set; }
    }
}
