using System.Net.Sockets;
using System.Runtime.InteropServices;
using Xenon.Store.Server;

namespace Xenon.Toolstack.XenStore;

/// <summary>
/// The body of <c>xenon __xenstored [--socket PATH]</c>: xenstored (Xenon.Store) on the socket, its pid in
/// <c>xenstored.pid</c> beside it, until SIGTERM or SIGINT. Started on demand by <see cref="XenStoreLauncher"/>.
/// </summary>
public static class XenStoredProcess
{
    public static int Run(string[] args, TextWriter log)
    {
        if (!XenStoreDaemon.TryParseArgs(args, out var socketPath, out var problem))
        {
            log.WriteLine($"xenstored: {problem}");
            log.WriteLine("usage: xenon __xenstored [--socket PATH]");
            return 2;
        }
        using var daemon = new XenStoreDaemon(socketPath);
        try
        {
            daemon.Start();
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidOperationException or UnauthorizedAccessException)
        {
            log.WriteLine($"{DateTime.UtcNow:O} xenstored: cannot listen on {socketPath}: {e.Message}");
            return 1;
        }
        string pidFile = XenStoreLauncher.PidFileFor(socketPath);
        Domain.Process.DomainRuntimeDirectory.WriteAtomically(pidFile, $"{Environment.ProcessId}\n");
        log.WriteLine($"{DateTime.UtcNow:O} xenstored: listening on {socketPath} (pid {Environment.ProcessId})");
        // A fresh store knows nothing: write Domain-0 and every running domain (from the runtime directories of
        // XENON_RUN_DIR, inherited from the command that started us), as the toolstack would.
        try
        {
            using var records = XenStoreLauncher.Open(ToolstackContext.FromEnvironment() with { XenStoreSocket = socketPath, StartXenStore = null }, log);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.WriteLine($"{DateTime.UtcNow:O} xenstored: cannot read the running domains: {e.Message}");
        }
        log.Flush();
        using var stop = new ManualResetEventSlim();
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Set(); });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Set(); });
        stop.Wait();
        daemon.Stop();
        try { File.Delete(pidFile); } catch (IOException) { }
        log.WriteLine($"{DateTime.UtcNow:O} xenstored: stopped");
        return 0;
    }
}
