using System.Diagnostics;
using Xenon.Domain;
using Xenon.Domain.Process;
using Xenon.Domain.SaveRestore;
using Xenon.Toolstack.Cli;
using Xenon.Toolstack.Console;
using Xenon.Toolstack.XenStore;

namespace Xenon.Toolstack.Commands;

/// <summary>
/// <c>xenon restore [-p] [-e] [-d] [-V] [-c] [CONFIG-FILE] FILE</c>, as xl restore: reads the saved domain's header
/// and configuration, registers the domain under its saved name (a new domain id, as Xen gives one) and starts a
/// detached domain process that builds the same machine without a kernel, maps its memory from FILE and continues the
/// guest where it was saved. -p leaves it paused (<c>xenon unpause</c> runs it), -c attaches the console, -e leaves
/// the domain's end unwatched (its on_* restart actions do not apply), -d prints the configuration and the domain
/// process's restore timings, -V says that there is no VNC viewer. CONFIG-FILE (xl.cfg) replaces the saved
/// configuration. A corrupt, truncated or foreign file is refused with the offset at fault, and no domain is left behind.
/// <c>xenon restore --prepare CONFIG</c> builds the domain ahead of the file; a restore under its name then goes into it
/// (<see cref="PreparedRestoreCommand"/>).
/// </summary>
public static class RestoreCommand
{
    public const string Usage = "Usage: xenon restore [-p] [-e] [-d] [-V] [-c] [<ConfigFile>] <CheckpointFile>\n" +
                                "       xenon restore [-d] --prepare <ConfigFile>\n" +
                                "  -p  leave the domain paused after restoring it\n" +
                                "  -e  do not watch for the domain's death: on_poweroff/on_reboot/on_crash restarts do not happen\n" +
                                "  -d  print the configuration and the restore's timings\n" +
                                "  -V  (xl: start a VNC viewer) Xenon domains have no graphical console; use -c\n" +
                                "  -c  attach to the domain's console\n" +
                                "  <ConfigFile>  use this xl.cfg instead of the saved configuration\n" +
                                "  --prepare <ConfigFile>  build the domain now, parked, and restore into it the next save of its name";

    /// <summary>What -V prints: there is nothing to view.</summary>
    public const string NoVncViewer =
        "xenon restore: -V: there is no VNC viewer to start: Xenon domains have no graphical console (no VNC server); the restore goes on, use -c or 'xenon console' for the serial console";

    private static readonly TimeSpan StartTimeout = DomainProcessLauncher.StartTimeout;

    public static int Run(IReadOnlyList<string> args, TextWriter stderr, ToolstackContext context)
    {
        var line = CommandSupport.Parse(args,
            [new OptionSpec('p'), new OptionSpec('e'), new OptionSpec('d'), new OptionSpec('V'), new OptionSpec('c'), new OptionSpec('P', "prepare", "CONFIG")],
            "xenon restore", Usage, stderr);
        if (line is null) return CommandSupport.Failure;
        if (line.Value('P') is { } prepareConfig)
        {
            if (line.Operands.Count != 0 || line.Has('p') || line.Has('e') || line.Has('c') || line.Has('V'))
            {
                stderr.WriteLine("xenon restore: --prepare CONFIG takes no file and no -p, -e, -c or -V (give those to the restore that follows)");
                return CommandSupport.Failure;
            }
            return PreparedRestoreCommand.Prepare(prepareConfig, line.Has('d'), stderr, context);
        }
        if (line.Operands.Count is not (1 or 2))
        {
            stderr.WriteLine(Usage);
            return CommandSupport.Failure;
        }
        bool debug = line.Has('d');
        if (line.Has('V')) stderr.WriteLine(NoVncViewer);
        var clock = Stopwatch.StartNew();
        string path = Path.GetFullPath(line.Operands[^1]);
        string? configFile = line.Operands.Count == 2 ? line.Operands[0] : null;
        DomainSpec saved;
        try
        {
            using var reader = SavedDomainReader.Open(path);
            saved = DomainSpecJson.Deserialize(reader.ConfigJson, $"{path}: the saved domain configuration");
            // Every record checked before any domain process starts (cheap: the memory images are skipped).
            reader.CheckRecords();
        }
        catch (Exception e) when (e is DomainRestoreException or InvalidDataException)
        {
            stderr.WriteLine($"xenon restore: {e.Message}");
            return CommandSupport.Failure;
        }
        if (path.Contains('\n'))
        {
            stderr.WriteLine("xenon restore: the file's path contains a newline");
            return CommandSupport.Failure;
        }
        stderr.WriteLine($"Loading new save file {path} (domain {saved.Name})");
        Config.DomainConfig? replacement = null;
        if (configFile is not null)
        {
            replacement = SaveRestoreConfig.Load(configFile, saved, "xenon restore", stderr);
            if (replacement is null) return CommandSupport.Failure;
            stderr.WriteLine($"Using the configuration from {configFile} (domain {replacement.Name}) instead of the saved one");
        }

        bool paused = line.Has('p');
        var request = new RestoreRequest(path, paused) { NoMonitor = line.Has('e') };
        string name = replacement?.Name ?? saved.Name;
        Func<int, DomainSpec> makeSpec = id => replacement is null ? saved with { DomId = id } : SaveRestoreConfig.ToSpec(replacement, saved, id);
        if (PreparedRestoreCommand.Find(context, name) is { } preparedDir)
            return PreparedRestoreCommand.Restore(preparedDir, makeSpec, request, debug, line.Has('c'), stderr, context, clock);
        // A new domain id, as Xen gives a restored domain; the rest of the configuration is the saved one (or CONFIG-FILE's).
        var registration = new DomainLaunch.Registration(name, makeSpec,
            DomainLaunch.SpecPidAnd(dir => RestoreRequestFile.Write(dir, request)), context.RunRoot);
        if (DomainLaunch.Start(registration, context, stderr, DomainLaunch.ToStderr(stderr),
                registered: s => { if (debug) stderr.WriteLine(DomainSpecJson.Serialize(s)); }) is not { } started)
            return CommandSupport.Failure;
        var (spec, dir, logFile) = (started.Spec, started.Dir, started.LogFile);
        string? state = DomainLaunch.WaitForState(started, StartTimeout);
        if (state is null || state.StartsWith("error: ", StringComparison.Ordinal))
        {
            stderr.WriteLine(state is null
                ? $"xenon restore: domain {spec.Name} did not report that it runs within {StartTimeout.TotalSeconds:0} s; log: {logFile}"
                : $"xenon restore: cannot restore domain {spec.Name}: {state["error: ".Length..]}");
            DomainStoreCleanup.Forget(context, spec.DomId);
            return CommandSupport.Failure;
        }
        stderr.WriteLine($"Restored domain {spec.Name} (id {spec.DomId}) from {path} in {clock.Elapsed.TotalMilliseconds:0} ms{(paused ? ", paused" : "")} (log: {logFile})");
        if (debug) foreach (var l in RestoreLogLines(logFile)) stderr.WriteLine($"  {l}");
        if (request.NoMonitor) stderr.WriteLine($"Domain {spec.Name}: -e: its on_poweroff/on_reboot/on_crash restarts will not happen; it ends at its first shutdown");
        if (!line.Has('c')) return 0;
        return ConsoleClient.Attach(dir, stderr) ?? 0;
    }

    /// <summary>The domain process's log lines about this restore (for -d): the build steps, the restore and its timings.</summary>
    internal static IEnumerable<string> RestoreLogLines(string logFile)
    {
        string[] lines;
        try
        {
            using var stream = new FileStream(logFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            lines = reader.ReadToEnd().Split('\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [$"(cannot read {logFile}: {e.Message})"];
        }
        // The log may hold earlier domains of that name: from the last restore on.
        int from = Array.FindLastIndex(lines, l => l.Contains(": restoring from ", StringComparison.Ordinal));
        if (from < 0) return [];
        int buildFrom = from;
        while (buildFrom > 0 && lines[buildFrom - 1].Contains("build:", StringComparison.Ordinal)) buildFrom--;
        return lines[buildFrom..].Where(l => l.Length > 0 && (l.Contains("restor", StringComparison.Ordinal) || l.Contains("build:", StringComparison.Ordinal) || l.Contains("memory image", StringComparison.Ordinal)));
    }
}
