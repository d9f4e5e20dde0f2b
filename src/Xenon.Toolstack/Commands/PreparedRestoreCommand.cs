using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Xenon.Domain;
using Xenon.Domain.Process;
using Xenon.Domain.SaveRestore;
using Xenon.Toolstack.Config;
using Xenon.Toolstack.Console;
using Xenon.Toolstack.XenStore;

namespace Xenon.Toolstack.Commands;

/// <summary>
/// <c>xenon restore --prepare CONFIG</c> and the restore into the domain it prepares (docs/save-restore.md, "A prepared
/// restore"): the domain is registered under CONFIG's name and its domain process started, built, parked and warmed
/// before any saved file is named, as a Firecracker VMM is started before its snapshot is loaded. A later
/// <c>xenon restore FILE</c> of a domain of that name hands FILE to it instead of starting a process and building;
/// the restore then costs neither. A saved configuration that does not describe the prepared machine is refused, and
/// the prepared domain is left waiting (it is not replaced behind the user's back: destroy it to restore as usual).
/// </summary>
internal static class PreparedRestoreCommand
{
    /// <summary>Registers CONFIG's domain and waits until its domain process is prepared.</summary>
    public static int Prepare(string configPath, bool debug, TextWriter stderr, ToolstackContext context)
    {
        var clock = Stopwatch.StartNew();
        DomainConfig config;
        try
        {
            config = DomainConfigReader.Load(configPath, []);
        }
        catch (ConfigException e)
        {
            stderr.WriteLine($"xenon restore: {e.Message}");
            return CommandSupport.Failure;
        }
        foreach (var w in config.Warnings) stderr.WriteLine(w.ToString());
        var registration = new DomainLaunch.Registration(config.Name, id => DomainSpecFactory.FromConfig(config, id),
            DomainLaunch.SpecPidAnd(PreparedRestore.WriteRequest), context.RunRoot);
        if (DomainLaunch.Start(registration, context, stderr, DomainLaunch.ToStderr(stderr),
                registered: s => { if (debug) stderr.WriteLine(DomainSpecJson.Serialize(s)); }) is not { } started)
            return CommandSupport.Failure;
        var (spec, dir, logFile) = (started.Spec, started.Dir, started.LogFile);
        string? state = DomainLaunch.WaitForState(started, DomainProcessLauncher.StartTimeout);
        if (state != PreparedRestore.PreparedState)
        {
            stderr.WriteLine(state is null
                ? $"xenon restore: domain {spec.Name} was not prepared within {DomainProcessLauncher.StartTimeout.TotalSeconds:0} s; log: {logFile}"
                : $"xenon restore: cannot prepare domain {spec.Name}: {(state.StartsWith("error: ", StringComparison.Ordinal) ? state["error: ".Length..] : state)}");
            DomainStoreCleanup.Forget(context, spec.DomId);
            return CommandSupport.Failure;
        }
        stderr.WriteLine($"Prepared domain {spec.Name} (id {spec.DomId}) from {configPath} in {clock.Elapsed.TotalMilliseconds:0} ms: built, vCPUs parked; " +
                         $"'xenon restore FILE' with a save of {spec.Name} continues it here (log: {logFile})");
        return 0;
    }

    /// <summary>The runtime directory of a domain named <paramref name="name"/> that waits, prepared, for its saved
    /// file; null if there is none (the restore then builds a domain as usual).</summary>
    public static DomainRuntimeDirectory? Find(ToolstackContext context, string name)
    {
        var dir = context.DirectoryFor(name);
        if (!PreparedRestore.IsRequested(dir) || !dir.IsOwnedByLiveProcess()) return null;
        try
        {
            return File.ReadAllText(dir.StateFile).Trim() == PreparedRestore.PreparedState ? dir : null;
        }
        catch (IOException)
        {
            return null; // no state yet: still being prepared, or gone
        }
    }

    /// <summary>Hands <paramref name="request"/> to the prepared domain in <paramref name="dir"/> once
    /// <paramref name="wanted"/> (the saved or CONFIG-FILE's configuration) is found to describe its machine.</summary>
    /// <param name="wanted">The configuration the restore would build, for the prepared domain's id.</param>
    public static int Restore(DomainRuntimeDirectory dir, Func<int, DomainSpec> wanted, RestoreRequest request, bool debug, bool attach,
        TextWriter stderr, ToolstackContext context, Stopwatch clock)
    {
        DomainSpec prepared;
        try
        {
            prepared = DomainSpecJson.Deserialize(File.ReadAllText(dir.SpecFile), dir.SpecFile);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"xenon restore: cannot read the prepared domain's configuration: {e.Message}");
            return CommandSupport.Failure;
        }
        var spec = wanted(prepared.DomId);
        if (MigrateReceivePreparation.Mismatch(prepared, spec) is { } why)
        {
            stderr.WriteLine($"xenon restore: domain {prepared.Name} (id {prepared.DomId}) is prepared for another machine: {why}; " +
                             $"it keeps waiting (xenon destroy {prepared.Name} to restore this file as usual)");
            return CommandSupport.Failure;
        }
        string logFile = context.LogFileFor(prepared.Name);
        string answer;
        TimeSpan answered;
        try
        {
            answer = Send(dir, request, out answered);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            stderr.WriteLine($"xenon restore: cannot hand {request.Path} to the prepared domain {prepared.Name}: {e.Message} (log: {logFile})");
            return CommandSupport.Failure;
        }
        if (answer.StartsWith(PreparedRestore.RefusedPrefix, StringComparison.Ordinal))
        {
            stderr.WriteLine($"xenon restore: the prepared domain {prepared.Name} refused the request (it keeps waiting): {answer[PreparedRestore.RefusedPrefix.Length..]}");
            return CommandSupport.Failure;
        }
        if (answer is not ("running" or "paused"))
        {
            stderr.WriteLine($"xenon restore: cannot restore domain {prepared.Name}: {(answer.StartsWith(PreparedRestore.ErrorPrefix, StringComparison.Ordinal) ? answer[PreparedRestore.ErrorPrefix.Length..] : $"the prepared domain answered \"{answer}\"")} (log: {logFile})");
            // Its domain process ends after a failed restore, as a new one does: no domain is left behind.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (dir.IsOwnedByLiveProcess() && DateTime.UtcNow < deadline) Thread.Sleep(10);
            DomainStoreCleanup.Forget(context, prepared.DomId);
            return CommandSupport.Failure;
        }
        stderr.WriteLine($"Restored domain {prepared.Name} (id {prepared.DomId}) from {request.Path} into the prepared domain in " +
                         $"{clock.Elapsed.TotalMilliseconds:0} ms{(request.Paused ? ", paused" : "")}, answered {answered.TotalMilliseconds:0.0} ms " +
                         $"after connecting (log: {logFile})");
        if (debug) foreach (var l in RestoreCommand.RestoreLogLines(logFile)) stderr.WriteLine($"  {l}");
        if (request.NoMonitor) stderr.WriteLine($"Domain {prepared.Name}: -e: its on_poweroff/on_reboot/on_crash restarts will not happen; it ends at its first shutdown");
        return attach ? ConsoleClient.Attach(dir, stderr) ?? 0 : 0;
    }

    /// <summary>Sends the request and reads the one-line answer (the domain process answers once the guest runs).</summary>
    /// <param name="answered">From connecting to the answer's end: the request as this side sees it.</param>
    private static string Send(DomainRuntimeDirectory dir, RestoreRequest request, out TimeSpan answered)
    {
        // The bytes and the socket are ready before connecting: the domain process's restore-to-running starts at its
        // accept. (The process's first socket costs 10-15 ms here, the runtime loading its socket code.)
        byte[] text = Encoding.UTF8.GetBytes(RestoreRequestText.Format(request));
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var endPoint = new UnixDomainSocketEndPoint(PreparedRestore.SocketPath(dir));
        var clock = Stopwatch.StartNew();
        socket.Connect(endPoint);
        socket.Send(text);
        socket.Shutdown(SocketShutdown.Send);
        socket.ReceiveTimeout = (int)DomainProcessLauncher.StartTimeout.TotalMilliseconds;
        var buffer = new byte[4096];
        int length = 0;
        while (length < buffer.Length)
        {
            int n = socket.Receive(buffer.AsSpan(length));
            if (n == 0) break;
            length += n;
        }
        answered = clock.Elapsed;
        if (length == 0) throw new IOException("the prepared domain process closed the connection without an answer");
        return Encoding.UTF8.GetString(buffer, 0, length).TrimEnd('\n');
    }
}
