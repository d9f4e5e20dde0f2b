using System.Diagnostics;
using Xenon.Domain;
using Xenon.Domain.Process;
using Xenon.Domain.SaveRestore;
using Xenon.Toolstack.Cli;
using Xenon.Toolstack.Console;
using Xenon.Toolstack.XenStore;

namespace Xenon.Toolstack.Commands;

/// <summary>
/// <c>xenon restore [-p] [-c] FILE</c>, as xl restore: reads the saved domain's header and configuration, registers
/// the domain under its saved name (a new domain id, as Xen gives one) and starts a detached domain process that
/// builds the same machine without a kernel, fills it from FILE and continues the guest where it was saved.
/// -p leaves it paused (<c>xenon unpause</c> runs it), -c attaches the console. A corrupt, truncated or foreign file
/// is refused with the offset at fault, and no domain is left behind.
/// </summary>
public static class RestoreCommand
{
    public const string Usage = "Usage: xenon restore [-p] [-c] <CheckpointFile>\n  -p  leave the domain paused after restoring it\n  -c  attach to the domain's console";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(300);

    public static int Run(IReadOnlyList<string> args, TextWriter stderr, ToolstackContext context)
    {
        var line = CommandSupport.Parse(args, [new OptionSpec('p'), new OptionSpec('c')], "xenon restore", Usage, stderr);
        if (line is null) return CommandSupport.Failure;
        if (line.Operands.Count != 1)
        {
            stderr.WriteLine(line.Operands.Count == 2 ? "xenon restore: a replacement config file is not supported" : Usage);
            return CommandSupport.Failure;
        }
        var clock = Stopwatch.StartNew();
        string path = Path.GetFullPath(line.Operands[0]);
        DomainSpec saved;
        try
        {
            using var reader = SavedDomainReader.Open(path);
            saved = DomainSpecJson.Deserialize(reader.ConfigJson, $"{path}: the saved domain configuration");
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

        bool paused = line.Has('p');
        DomainSpec spec;
        try
        {
            // A new domain id, as Xen gives a restored domain; the rest of the configuration is the saved one.
            spec = DomIdAllocator.Reserve(saved.Name, id => saved with { DomId = id },
                (dir, s) => Publish(dir, s, new RestoreRequest(path, paused)), context.RunRoot);
        }
        catch (DomainNameInUseException e)
        {
            stderr.WriteLine($"xenon: {e.Message}");
            return CommandSupport.Failure;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"xenon: cannot register domain {saved.Name} under {context.RunRoot}: {e.Message}");
            return CommandSupport.Failure;
        }

        var dir = context.DirectoryFor(spec.Name);
        Directory.CreateDirectory(context.LogDir);
        string logFile = context.LogFileFor(spec.Name);
        dir.WriteFile(CreateCommand.LogPathFile, logFile + "\n");
        XenStoreLauncher.PublishOrStartInBackground(context, stderr);
        string? state;
        using (var process = DomainProcessLauncher.Start(dir, logFile)) state = DomainProcessLauncher.WaitForState(dir, process, StartTimeout);
        if (state is null || state.StartsWith("error: ", StringComparison.Ordinal))
        {
            stderr.WriteLine(state is null
                ? $"xenon restore: domain {spec.Name} did not report that it runs within {StartTimeout.TotalSeconds:0} s; log: {logFile}"
                : $"xenon restore: cannot restore domain {spec.Name}: {state["error: ".Length..]}");
            DomainStoreCleanup.Forget(context, spec.DomId);
            return CommandSupport.Failure;
        }
        stderr.WriteLine($"Restored domain {spec.Name} (id {spec.DomId}) from {path} in {clock.Elapsed.TotalMilliseconds:0} ms{(paused ? ", paused" : "")} (log: {logFile})");
        if (!line.Has('c')) return 0;
        return ConsoleClient.Attach(dir, stderr) ?? 0;
    }

    private static void Publish(DomainRuntimeDirectory dir, DomainSpec spec, RestoreRequest request)
    {
        DomainRuntimeDirectory.WriteAtomically(dir.SpecFile, DomainSpecJson.Serialize(spec));
        DomainRuntimeDirectory.WriteAtomically(dir.PidFile, $"{Environment.ProcessId}\n");
        RestoreRequestFile.Write(dir, request);
    }
}
