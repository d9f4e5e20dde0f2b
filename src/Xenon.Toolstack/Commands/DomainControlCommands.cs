using Xenon.Domain.Process;
using Xenon.Toolstack.Cli;
using Xenon.Toolstack.Console;

namespace Xenon.Toolstack.Commands;

/// <summary><c>xenon shutdown [-w] DOMAIN</c> (the ACPI power button, as xl shutdown) and
/// <c>xenon destroy DOMAIN</c> (stop it now). DOMAIN is the domain's name.</summary>
public static class DomainControlCommands
{
    public const string ShutdownUsage = "Usage: xenon shutdown [-w] <Domain>";
    public const string DestroyUsage = "Usage: xenon destroy <Domain>";

    public static int Shutdown(IReadOnlyList<string> args, TextWriter stderr)
    {
        CommandLine line;
        try
        {
            line = CommandLine.Parse(args, [new OptionSpec('w', "wait")], "xenon shutdown", ShutdownUsage);
        }
        catch (UsageException e)
        {
            stderr.WriteLine(e.Message);
            stderr.WriteLine(e.Usage);
            return 1;
        }
        if (line.Operands.Count != 1)
        {
            stderr.WriteLine(ShutdownUsage);
            return 1;
        }
        var dir = Find(line.Operands[0], stderr);
        if (dir is null) return 1;
        if (ControlClient.Send(dir, "shutdown") is { } error)
        {
            stderr.WriteLine($"xenon shutdown: {line.Operands[0]}: {error}");
            return 1;
        }
        if (!line.Has('w')) return 0;
        stderr.WriteLine($"Waiting for 1 domains");
        int status = ConsoleClient.WaitForOutcome(dir, TimeSpan.FromMinutes(10), stderr);
        stderr.WriteLine($"Domain {line.Operands[0]} has been shut down, reason code {status}");
        return status == 0 ? 0 : 1;
    }

    public static int Destroy(IReadOnlyList<string> args, TextWriter stderr)
    {
        if (args.Count != 1 || args[0].StartsWith('-'))
        {
            stderr.WriteLine(DestroyUsage);
            return 1;
        }
        var dir = Find(args[0], stderr);
        if (dir is null) return 1;
        if (ControlClient.Send(dir, "destroy") is { } error)
        {
            stderr.WriteLine($"xenon destroy: {args[0]}: {error}");
            return 1;
        }
        ConsoleClient.WaitForOutcome(dir, TimeSpan.FromSeconds(30), TextWriter.Null);
        return 0;
    }

    // xl's wording for an unknown domain.
    private static DomainRuntimeDirectory? Find(string name, TextWriter stderr)
    {
        var dir = DomainRuntimeDirectory.ForName(name);
        if (name.Contains('/') || !dir.IsOwnedByLiveProcess())
        {
            stderr.WriteLine($"xenon: {name} is an invalid domain identifier (rc=-6)");
            return null;
        }
        return dir;
    }
}
