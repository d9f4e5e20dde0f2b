using System.Net.Sockets;
using Xenon.Store.Store;

namespace Xenon.Store.Server;

/// <summary>
/// xenstored: the store served on a Unix stream socket, one session per client. Clients on the
/// socket are domain 0 and privileged, like the tools on a Xen host.
/// </summary>
public sealed class XenStoreDaemon : IDisposable
{
    /// <summary>Where Xen's tools look for the daemon when XENSTORED_PATH is not set.</summary>
    public const string DefaultSocketPath = "/var/run/xenstored/socket";

    private readonly Lock _lock = new();
    private readonly HashSet<XsSocketSession> _sessions = [];
    private readonly List<Task> _sessionTasks = [];
    private CancellationTokenSource? _stopping;
    private Socket? _listener;
    private Task? _acceptLoop;

    /// <summary>Creates a daemon that will listen on <paramref name="socketPath"/> once started.</summary>
    public XenStoreDaemon(string socketPath = DefaultSocketPath, XsQuotas? quotas = null)
    {
        SocketPath = socketPath;
        Store = new XenStore(quotas);
    }

    /// <summary>The store served.</summary>
    public XenStore Store { get; }

    /// <summary>The socket path in use (or to be used).</summary>
    public string SocketPath { get; private set; }

    /// <summary>True between Start and Stop.</summary>
    public bool IsRunning => _listener is not null;

    /// <summary>Starts listening on the path given to the constructor.</summary>
    public void Start() => Start(SocketPath);

    /// <summary>
    /// Starts listening on <paramref name="socketPath"/>. A stale socket file is replaced; a live
    /// daemon already answering there is an error.
    /// </summary>
    public void Start(string socketPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        lock (_lock)
        {
            if (_listener is not null)
            {
                throw new InvalidOperationException($"xenstored is already listening on {SocketPath}");
            }

            var directory = Path.GetDirectoryName(Path.GetFullPath(socketPath));
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            if (File.Exists(socketPath) || Directory.Exists(socketPath))
            {
                if (IsAnswering(socketPath))
                {
                    throw new InvalidOperationException($"another xenstored already answers on {socketPath}");
                }

                File.Delete(socketPath);
            }

            var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                listener.Bind(new UnixDomainSocketEndPoint(socketPath));
                File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                listener.Listen(64);
            }
            catch
            {
                listener.Dispose();
                throw;
            }

            SocketPath = socketPath;
            _listener = listener;
            _stopping = new CancellationTokenSource();
            var stopping = _stopping.Token;
            _acceptLoop = Task.Run(() => AcceptLoopAsync(listener, stopping));
        }
    }

    /// <summary>Stops accepting, disconnects every client, removes the socket file.</summary>
    public void Stop()
    {
        Task? acceptLoop;
        Task[] sessions;
        lock (_lock)
        {
            if (_listener is null)
            {
                return;
            }

            _stopping!.Cancel();
            _listener.Dispose();
            _listener = null;
            acceptLoop = _acceptLoop;
            foreach (var session in _sessions)
            {
                session.Abort();
            }

            sessions = [.. _sessionTasks];
        }

        try
        {
            Task.WaitAll([.. sessions, acceptLoop ?? Task.CompletedTask], TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // Sessions end by cancellation; their faults were already handled inside.
        }

        try
        {
            File.Delete(SocketPath);
        }
        catch (IOException)
        {
            // Someone else took the path; not ours to remove.
        }

        _stopping?.Dispose();
        _stopping = null;
    }

    /// <summary>
    /// Entry point for a command line: <c>[--socket PATH]</c>. Runs until <paramref name="cancel"/>
    /// fires; returns a process exit code.
    /// </summary>
    public static int Run(string[] args, TextWriter error, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(error);
        if (!TryParseArgs(args, out var socketPath, out var problem))
        {
            error.WriteLine($"xenstored: {problem}");
            error.WriteLine("usage: xenstored [--socket PATH]");
            return 2;
        }

        using var daemon = new XenStoreDaemon(socketPath);
        try
        {
            daemon.Start();
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidOperationException or UnauthorizedAccessException)
        {
            error.WriteLine($"xenstored: cannot listen on {socketPath}: {e.Message}");
            return 1;
        }

        cancel.WaitHandle.WaitOne();
        daemon.Stop();
        return 0;
    }

    /// <summary>Parses <c>--socket PATH</c> / <c>--socket=PATH</c>; nothing else is accepted.</summary>
    public static bool TryParseArgs(IReadOnlyList<string> args, out string socketPath, out string problem)
    {
        ArgumentNullException.ThrowIfNull(args);
        socketPath = DefaultSocketPath;
        problem = string.Empty;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--socket")
            {
                if (i + 1 >= args.Count || args[i + 1].Length == 0)
                {
                    problem = "--socket needs a path";
                    return false;
                }

                socketPath = args[++i];
            }
            else if (arg.StartsWith("--socket=", StringComparison.Ordinal) && arg.Length > "--socket=".Length)
            {
                socketPath = arg["--socket=".Length..];
            }
            else
            {
                problem = $"unknown argument '{arg}'";
                return false;
            }
        }

        return true;
    }

    public void Dispose() => Stop();

    private async Task AcceptLoopAsync(Socket listener, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            var session = new XsSocketSession(client, Store, stopping);
            lock (_lock)
            {
                _sessions.Add(session);
                _sessionTasks.RemoveAll(t => t.IsCompleted);
                _sessionTasks.Add(Task.Run(async () =>
                {
                    await session.RunAsync().ConfigureAwait(false);
                    lock (_lock)
                    {
                        _sessions.Remove(session);
                    }

                    session.Dispose();
                }, CancellationToken.None));
            }
        }
    }

    private static bool IsAnswering(string socketPath)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(socketPath));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
