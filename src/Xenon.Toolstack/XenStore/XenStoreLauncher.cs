using System.Diagnostics;
using System.Net.Sockets;

namespace Xenon.Toolstack.XenStore;

/// <summary>
/// Connects the toolstack to xenstored, starting one on demand: the first command that needs XenStore and finds
/// nobody answering on the socket starts a detached <c>xenon __xenstored</c>. A lock file beside the socket
/// (<c>SOCKET.lock</c>, an exclusive flock) makes two commands that race here start one daemon between them:
/// the second finds the first one's daemon answering once it gets the lock.
/// </summary>
public static class XenStoreLauncher
{
    // Generous: .NET starts slowly where the host is itself emulated (the nested test host takes 15-20 s).
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The pid file the daemon writes: <c>xenstored.pid</c> beside its socket.</summary>
    public static string PidFileFor(string socketPath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(socketPath)) ?? "/", "xenstored.pid");

    /// <summary>A client on a running xenstored, or null if none answers.</summary>
    public static XsClient? TryConnect(string socketPath)
    {
        try
        {
            return XsClient.Connect(socketPath);
        }
        catch (SocketException)
        {
            return null;
        }
    }

    /// <summary>
    /// A client on xenstored, started first if nobody answers and the context allows it. Throws
    /// <see cref="XsClientException"/> if there is still none after <see cref="StartTimeout"/>.
    /// </summary>
    public static XsClient Connect(ToolstackContext context)
    {
        if (TryConnect(context.XenStoreSocket) is { } client) return client;
        if (context.StartXenStore is null)
            throw new XsClientException(null, $"no xenstored answers on {context.XenStoreSocket}");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(context.XenStoreSocket)) ?? "/");
        using (Lock(context.XenStoreSocket + ".lock"))
        {
            // Whoever held the lock before us may have started it.
            if (TryConnect(context.XenStoreSocket) is { } started) return started;
            context.StartXenStore(context.XenStoreSocket);
            var deadline = DateTime.UtcNow + StartTimeout;
            while (DateTime.UtcNow < deadline)
            {
                if (TryConnect(context.XenStoreSocket) is { } c) return c;
                Thread.Sleep(20);
            }
        }
        throw new XsClientException(null, $"xenstored did not start answering on {context.XenStoreSocket} within {StartTimeout.TotalSeconds:0} s");
    }

    /// <summary>
    /// Connects (starting xenstored if needed) and brings the store in line with the running domains. Null, with
    /// a warning on <paramref name="warnings"/>, when XenStore cannot be reached: commands then go on without it.
    /// </summary>
    public static DomainStoreRecords? Open(ToolstackContext context, TextWriter warnings)
    {
        XsClient? client = null;
        try
        {
            client = Connect(context);
        }
        catch (Exception e) when (e is XsClientException or IOException or UnauthorizedAccessException or SocketException)
        {
            warnings.WriteLine($"xenon: warning: XenStore unavailable ({e.Message}); continuing without it");
            return null;
        }
        return Reconciled(client, context, warnings);
    }

    // Brings the store in line on a connected client (which it owns from here). The host's facts are read only if
    // Domain-0's nodes must be written (a fresh store): create runs this on its way to the guest.
    private static DomainStoreRecords? Reconciled(XsClient client, ToolstackContext context, TextWriter warnings)
    {
        try
        {
            var records = new DomainStoreRecords(client);
            records.Reconcile(new Domains.DomainRegistry(context).List(), HostInfo.Read);
            records.SyncPools(context.LoadPools());
            return records;
        }
        catch (Exception e) when (e is XsClientException or IOException or UnauthorizedAccessException or SocketException)
        {
            client.Dispose();
            warnings.WriteLine($"xenon: warning: XenStore unavailable ({e.Message}); continuing without it");
            return null;
        }
    }

    /// <summary>
    /// For create: reconciles (writing the new domain's nodes) if xenstored is running; otherwise starts it and
    /// returns at once without waiting: the daemon reconciles itself when it comes up (XenStoredProcess), so a
    /// domain does not wait on a slow daemon start (seconds where the host is itself emulated).
    /// </summary>
    public static void PublishOrStartInBackground(ToolstackContext context, TextWriter warnings)
    {
        if (TryConnect(context.XenStoreSocket) is { } running)
        {
            // The probe's connection does the work: a second connect costs a round trip for nothing.
            using var records = Reconciled(running, context, warnings);
            return;
        }
        if (context.StartXenStore is null) return;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(context.XenStoreSocket)) ?? "/");
            using (Lock(context.XenStoreSocket + ".lock"))
            {
                if (TryConnect(context.XenStoreSocket) is { } started)
                {
                    started.Dispose();
                }
                else
                {
                    context.StartXenStore(context.XenStoreSocket);
                    return;
                }
            }
            using var records = Open(context, warnings);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or XsClientException)
        {
            warnings.WriteLine($"xenon: warning: cannot start xenstored ({e.Message}); continuing without it");
        }
    }

    /// <summary>
    /// .NET runtime settings for the daemon's process only. Its sessions are async socket reads and a writer task per
    /// connection: every request hops from the socket engine's epoll thread to a thread-pool worker, and each idle
    /// worker then spun (sched_yield) before sleeping. That spinning was most of xenstored's CPU per create (7 ms of
    /// which ~4 was spinning on the build host), and on a one-CPU host it is taken from the client it waits for.
    /// Completions run inline on the epoll thread (one hop less per request) and workers sleep at once.
    /// </summary>
    internal static readonly (string Name, string Value)[] DaemonRuntimeSettings =
    [
        ("DOTNET_ThreadPool_UnfairSemaphoreSpinLimit", "0"),
        ("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1"),
    ];

    /// <summary>Starts <c>xenon __xenstored --socket PATH</c> in its own session, logging to XENON_LOG_DIR/xenstored.log.</summary>
    public static void StartDetachedDaemon(string socketPath)
    {
        string logDir = ToolstackContext.FromEnvironment().LogDir;
        Directory.CreateDirectory(logDir);
        var psi = new ProcessStartInfo("setsid") { UseShellExecute = false };
        foreach (var a in new[] { "sh", "-c", "exec \"$@\" __xenstored --socket \"$XENON_XS_SOCKET\" </dev/null >>\"$XENON_XS_LOG\" 2>&1", "sh" })
            psi.ArgumentList.Add(a);
        foreach (var a in SelfCommand.Get()) psi.ArgumentList.Add(a);
        psi.Environment["XENON_XS_SOCKET"] = socketPath;
        psi.Environment["XENON_XS_LOG"] = Path.Combine(logDir, "xenstored.log");
        foreach (var (name, value) in DaemonRuntimeSettings) psi.Environment[name] = value;
        using var p = Process.Start(psi) ?? throw new XsClientException(null, "cannot start xenstored");
    }

    private static FileStream Lock(string path)
    {
        var deadline = DateTime.UtcNow + StartTimeout + StartTimeout;
        while (true)
        {
            try
            {
                // FileShare.None takes an exclusive flock on Unix, released when the stream closes (or the process dies).
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(10);
            }
        }
    }
}
