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
    public const string MemSetUsage = "Usage: xenon mem-set <Domain> <Mem>   (Mem in MiB, or with a suffix: 512m, 1g, 262144k)";

    /// <summary><c>xenon mem-set DOMAIN MEM</c>: the balloon target, as xl mem-set (MEM in MiB unless suffixed k, m, g or t).</summary>
    public static int MemSet(IReadOnlyList<string> args, TextWriter stderr)
    {
        if (args.Count != 2 || args[0].StartsWith('-'))
        {
            stderr.WriteLine(MemSetUsage);
            return 1;
        }
        if (ParseMemoryMiB(args[1]) is not { } mib)
        {
            stderr.WriteLine($"xenon mem-set: invalid memory size \"{args[1]}\": expected a number of MiB or a number with k, m, g or t");
            return 1;
        }
        var dir = Find(args[0], stderr);
        if (dir is null) return 1;
        if (ControlClient.Send(dir, "mem-set", $",\"target_mib\":{mib}") is { } error)
        {
            stderr.WriteLine($"xenon mem-set: {args[0]}: {error}");
            return 1;
        }
        return 0;
    }

    /// <summary>xl's memory sizes: a number of MiB, or a number with a k/m/g/t suffix (either case). Null if malformed.</summary>
    public static ulong? ParseMemoryMiB(string text)
    {
        if (text.Length == 0) return null;
        ulong unitKiB = 1024;
        var digits = text.AsSpan();
        switch (char.ToLowerInvariant(text[^1]))
        {
            case 'k': unitKiB = 1; digits = digits[..^1]; break;
            case 'm': digits = digits[..^1]; break;
            case 'g': unitKiB = 1024 * 1024; digits = digits[..^1]; break;
            case 't': unitKiB = 1024UL * 1024 * 1024; digits = digits[..^1]; break;
        }
        if (!ulong.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ulong n)) return null;
        if (n > ulong.MaxValue / unitKiB) return null;
        return n * unitKiB / 1024;
    }

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
