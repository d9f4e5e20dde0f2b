using System.Diagnostics;
using System.Net.Sockets;
using Xenon.Domain;
using Xenon.Domain.Migration;
using Xenon.Domain.Process;
using Xenon.Toolstack.Config;
using Xenon.Toolstack.XenStore;

namespace Xenon.Toolstack.Commands;

/// <summary>
/// <c>migrate-receive --listen ADDR:PORT --prepare CONFIG</c> (docs/migration.md, "A prepared receiver"): the domain is
/// registered and its domain process started, built, parked and warmed from CONFIG before the sender connects, as
/// QEMU's destination is started with <c>-incoming</c>. The migration then costs no process start and no build. The
/// sent configuration must describe the same machine (<see cref="Mismatch"/>); otherwise the migration is refused and
/// the prepared domain goes away.
/// </summary>
internal sealed class MigrateReceivePreparation : IDisposable
{
    private MigrateReceivePreparation(DomainSpec spec, DomainRuntimeDirectory dir, Process process, Socket domainSocket, string logFile)
    {
        Spec = spec;
        Dir = dir;
        Process = process;
        DomainSocket = domainSocket;
        LogFile = logFile;
    }

    public DomainSpec Spec { get; }
    public DomainRuntimeDirectory Dir { get; }
    public Process Process { get; }

    /// <summary>Connected to the domain process's migrate.sock; it has sent <see cref="IncomingMigration.PreparedSignal"/>.</summary>
    public Socket DomainSocket { get; }

    public string LogFile { get; }

    /// <summary>Registers the domain of <paramref name="configPath"/> and waits until its domain process is built,
    /// parked and warm. Null (and the reason on <paramref name="stderr"/>) if it cannot: nothing is left behind then.</summary>
    public static MigrateReceivePreparation? Start(string configPath, ToolstackContext context, TextWriter stderr, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        DomainConfig config;
        try
        {
            config = DomainConfigReader.Load(configPath, []);
        }
        catch (ConfigException e)
        {
            stderr.WriteLine($"xenon migrate-receive: {e.Message}");
            return null;
        }
        DomainSpec spec;
        try
        {
            spec = DomIdAllocator.Reserve(config.Name, id => DomainSpecFactory.FromConfig(config, id), (dir, s) =>
            {
                DomainRuntimeDirectory.WriteAtomically(dir.SpecFile, DomainSpecJson.Serialize(s));
                DomainRuntimeDirectory.WriteAtomically(dir.PidFile, $"{Environment.ProcessId}\n");
                IncomingMigration.WriteRequest(dir, prepared: true);
            }, context.RunRoot);
        }
        catch (Exception e) when (e is DomainNameInUseException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"xenon migrate-receive: cannot prepare domain {config.Name}: {e.Message}");
            return null;
        }
        var domainDir = context.DirectoryFor(spec.Name);
        Directory.CreateDirectory(context.LogDir);
        string logFile = context.LogFileFor(spec.Name);
        domainDir.WriteFile(CreateCommand.LogPathFile, logFile + "\n");
        XenStoreLauncher.PublishOrStartInBackground(context, stderr);
        var process = DomainProcessLauncher.Start(domainDir, logFile);
        string? failure = null;
        var socket = WaitUntilPrepared(domainDir, process, timeout, ref failure);
        if (socket is null)
        {
            if (DomainProcessLauncher.WaitForState(domainDir, process, TimeSpan.FromSeconds(5)) is null) DomainProcessLauncher.Abandon(process);
            DomainStoreCleanup.Forget(context, spec.DomId);
            process.Dispose();
            stderr.WriteLine($"xenon migrate-receive: cannot prepare domain {spec.Name}: {failure} (log: {logFile})");
            return null;
        }
        stderr.WriteLine($"xenon migrate-receive: domain {spec.Name} (id {spec.DomId}) built and waiting, {clock.Elapsed.TotalMilliseconds:0} ms");
        return new MigrateReceivePreparation(spec, domainDir, process, socket, logFile);
    }

    /// <summary>Null if <paramref name="sent"/> describes the machine this domain was built as; else how it differs.
    /// What the stream's own checks catch later (memory map, device ids) is compared here too, so that the refusal
    /// comes before any memory is sent and names the setting.</summary>
    public static string? Mismatch(DomainSpec prepared, DomainSpec sent)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        ArgumentNullException.ThrowIfNull(sent);
        if (sent.Name != prepared.Name) return $"the domain is {sent.Name}, this receiver was prepared for {prepared.Name}";
        if (sent.MemoryMiB != prepared.MemoryMiB || sent.MaxMemoryMiB != prepared.MaxMemoryMiB)
            return $"memory {sent.MemoryMiB}/{sent.MaxMemoryMiB} MiB, prepared {prepared.MemoryMiB}/{prepared.MaxMemoryMiB}";
        if (sent.Vcpus != prepared.Vcpus || sent.EffectiveMaxVcpus != prepared.EffectiveMaxVcpus)
            return $"vcpus {sent.Vcpus}/{sent.EffectiveMaxVcpus}, prepared {prepared.Vcpus}/{prepared.EffectiveMaxVcpus}";
        if (sent.Accel != prepared.Accel) return $"accel {sent.Accel}, prepared {prepared.Accel}";
        if (sent.Rng != prepared.Rng) return $"rng {sent.Rng}, prepared {prepared.Rng}";
        if (sent.Disks.Count != prepared.Disks.Count) return $"{sent.Disks.Count} disks, prepared {prepared.Disks.Count}";
        for (int i = 0; i < sent.Disks.Count; i++)
        {
            var (s, p) = (sent.Disks[i], prepared.Disks[i]);
            if (s.Vdev != p.Vdev || s.Path != p.Path || s.ReadOnly != p.ReadOnly)
                return $"disk {i} is {s.Vdev} {s.Path}{(s.ReadOnly ? " (ro)" : "")}, prepared {p.Vdev} {p.Path}{(p.ReadOnly ? " (ro)" : "")}";
        }
        if (sent.Vifs.Count != prepared.Vifs.Count) return $"{sent.Vifs.Count} vifs, prepared {prepared.Vifs.Count}";
        for (int i = 0; i < sent.Vifs.Count; i++)
            if (!string.Equals(sent.Vifs[i].Mac, prepared.Vifs[i].Mac, StringComparison.OrdinalIgnoreCase))
                return $"vif {i} has MAC {sent.Vifs[i].Mac}, prepared {prepared.Vifs[i].Mac}";
        if (sent.Channels.Count != prepared.Channels.Count) return $"{sent.Channels.Count} channels, prepared {prepared.Channels.Count}";
        return null;
    }

    private static Socket? WaitUntilPrepared(DomainRuntimeDirectory dir, Process process, TimeSpan timeout, ref string? failure)
    {
        string path = IncomingMigration.SocketPath(dir);
        var deadline = DateTime.UtcNow + timeout;
        Socket? socket = null;
        while (socket is null && DateTime.UtcNow < deadline)
        {
            if (File.Exists(path))
            {
                socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    socket.Connect(new UnixDomainSocketEndPoint(path));
                    break;
                }
                catch (SocketException)
                {
                    socket.Dispose();
                    socket = null;
                }
            }
            if (process.HasExited || File.Exists(dir.StateFile))
            {
                failure = "the domain process ended or failed while it was being built";
                return null;
            }
            Thread.Sleep(5);
        }
        if (socket is null)
        {
            failure ??= $"the domain process did not open {path} within {timeout.TotalSeconds:0} s";
            return null;
        }
        // It accepts, and says so, once built, parked and warm; it ending first closes the socket (a zero-byte read).
        var signal = new byte[1];
        try
        {
            socket.ReceiveTimeout = (int)Math.Max(1, (deadline - DateTime.UtcNow).TotalMilliseconds);
            if (socket.Receive(signal) == 1 && signal[0] == IncomingMigration.PreparedSignal)
            {
                socket.ReceiveTimeout = 0;
                return socket;
            }
            failure = "the domain process ended or failed while it was being built";
        }
        catch (SocketException e)
        {
            failure = e.SocketErrorCode == SocketError.TimedOut
                ? $"the domain was not built within {timeout.TotalSeconds:0} s"
                : $"the domain process's socket: {e.Message}";
        }
        socket.Dispose();
        return null;
    }

    /// <summary>Ends the prepared domain (the migration was refused before its stream was offered): closing the socket
    /// before any offer makes the domain process read end of stream and exit; its XenStore records go.</summary>
    public void Discard(ToolstackContext context)
    {
        DomainSocket.Dispose();
        if (DomainProcessLauncher.WaitForState(Dir, Process, TimeSpan.FromSeconds(30)) is null) DomainProcessLauncher.Abandon(Process);
        DomainStoreCleanup.Forget(context, Spec.DomId);
    }

    public void Dispose()
    {
        DomainSocket.Dispose();
        Process.Dispose();
    }
}
