using Xenon.Domain.Process;
using Xenon.Toolstack.Cli;
using Xenon.Toolstack.Console;
using Xenon.Toolstack.Domains;
using Xenon.Toolstack.XenStore;

namespace Xenon.Toolstack.Commands;

/// <summary><c>xenon shutdown [-w] DOMAIN</c> (the ACPI power button, as xl shutdown), <c>xenon reboot [-F] DOMAIN</c>
/// (a reset), <c>xenon destroy DOMAIN</c> (stop it now) and <c>xenon mem-set DOMAIN MEM</c>. DOMAIN is the domain's
/// name or id. XenStore follows: mem-set updates memory/target; a domain that is gone is removed from it.</summary>
public static class DomainControlCommands
{
    public const string ShutdownUsage = "Usage: xenon shutdown [-w] <Domain>";
    public const string RebootUsage = "Usage: xenon reboot [-F] <Domain>";
    public const string PauseUsage = "Usage: xenon pause <Domain>";
    public const string UnpauseUsage = "Usage: xenon unpause <Domain>";
    public const string DestroyUsage = "Usage: xenon destroy <Domain>";
    public const string MemSetUsage = "Usage: xenon mem-set <Domain> <Mem>   (Mem in MiB, or with a suffix: 512m, 1g, 262144k)";

    /// <summary><c>xenon mem-set DOMAIN MEM</c>: the balloon target, as xl mem-set (MEM in MiB unless suffixed k, m, g or t).</summary>
    public static int MemSet(IReadOnlyList<string> args, TextWriter stderr) => MemSet(args, stderr, ToolstackContext.FromEnvironment());

    public static int MemSet(IReadOnlyList<string> args, TextWriter stderr, ToolstackContext context)
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
        if (CommandSupport.Find(new DomainRegistry(context), args[0], stderr) is not { } d) return 1;
        if (Scheduling.DomainPolicy.Load(d.Directory).MaxMemoryMiB is { } ceiling && mib > ceiling)
        {
            stderr.WriteLine($"xenon mem-set: {args[0]}: {mib} MiB is above the domain's static maximum ({ceiling} MiB, set by mem-max)");
            return 1;
        }
        if (ControlClient.Send(d.Directory, "mem-set", $",\"target_mib\":{mib}") is { } error)
        {
            stderr.WriteLine($"xenon mem-set: {args[0]}: {error}");
            return 1;
        }
        using var records = XenStoreLauncher.Open(context, stderr);
        try
        {
            records?.SetMemoryTarget(d.DomId, mib);
        }
        catch (XsClientException e)
        {
            stderr.WriteLine($"xenon: warning: XenStore not updated: {e.Message}");
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

    public static int Shutdown(IReadOnlyList<string> args, TextWriter stderr) => Shutdown(args, stderr, ToolstackContext.FromEnvironment());

    public static int Shutdown(IReadOnlyList<string> args, TextWriter stderr, ToolstackContext context)
    {
        var line = CommandSupport.Parse(args, [new OptionSpec('w', "wait")], "xenon shutdown", ShutdownUsage, stderr);
        if (line is null) return 1;
        if (line.Operands.Count != 1)
        {
            stderr.WriteLine(ShutdownUsage);
            return 1;
        }
        if (FindAndSend(line.Operands[0], "shutdown", "xenon shutdown", stderr, context, out var found) != 0) return 1;
        if (!line.Has('w')) return 0;
        var d = found!;
        stderr.WriteLine($"Waiting for 1 domains");
        int status = ConsoleClient.WaitForOutcome(d.Directory, TimeSpan.FromMinutes(10), stderr);
        stderr.WriteLine($"Domain {d.DomId} has been shut down, reason code {status}");
        ForgetIfGone(context);
        return status == 0 ? 0 : 1;
    }

    /// <summary>xl reboot: the guest has no PV drivers to ask, so the domain is reset (xl reboot -F's fallback); its
    /// on_reboot action applies (restart by default). -F is accepted for xl compatibility.</summary>
    public static int Reboot(IReadOnlyList<string> args, TextWriter stderr, ToolstackContext context)
    {
        var line = CommandSupport.Parse(args, [new OptionSpec('F')], "xenon reboot", RebootUsage, stderr);
        if (line is null) return 1;
        if (line.Operands.Count != 1)
        {
            stderr.WriteLine(RebootUsage);
            return 1;
        }
        return FindAndSend(line.Operands[0], "reboot", "xenon reboot", stderr, context, out _);
    }

    /// <summary>xl pause: every vCPU stops (devices keep their state); unpause lets them run on.</summary>
    public static int Pause(IReadOnlyList<string> args, TextWriter stderr, ToolstackContext context) =>
        SimpleControl(args, stderr, context, "pause", PauseUsage);

    public static int Unpause(IReadOnlyList<string> args, TextWriter stderr, ToolstackContext context) =>
        SimpleControl(args, stderr, context, "unpause", UnpauseUsage);

    private static int SimpleControl(IReadOnlyList<string> args, TextWriter stderr, ToolstackContext context, string command, string usage)
    {
        if (OneDomainOperand(args, usage, stderr) is not { } dom) return 1;
        if (CommandSupport.IsDom0(dom))
        {
            stderr.WriteLine($"xenon {command}: Domain-0 (the host) cannot be {command}d");
            return 1;
        }
        return FindAndSend(dom, command, $"xenon {command}", stderr, context, out _);
    }

    // The shape of pause, unpause and destroy: one operand, the domain, and no options.
    private static string? OneDomainOperand(IReadOnlyList<string> args, string usage, TextWriter stderr)
    {
        if (args.Count == 1 && !args[0].StartsWith('-')) return args[0];
        stderr.WriteLine(usage);
        return null;
    }

    /// <summary>xl's find_domain, then one control request; xl-style errors. 0 on success, else 1.</summary>
    private static int FindAndSend(string dom, string command, string errorPrefix, TextWriter stderr, ToolstackContext context, out LiveDomain? found)
    {
        found = CommandSupport.Find(new DomainRegistry(context), dom, stderr);
        if (found is null) return 1;
        if (ControlClient.Send(found.Directory, command) is { } error)
        {
            stderr.WriteLine($"{errorPrefix}: {dom}: {error}");
            return 1;
        }
        return 0;
    }

    public static int Destroy(IReadOnlyList<string> args, TextWriter stderr) => Destroy(args, stderr, ToolstackContext.FromEnvironment());

    public static int Destroy(IReadOnlyList<string> args, TextWriter stderr, ToolstackContext context)
    {
        if (OneDomainOperand(args, DestroyUsage, stderr) is not { } dom) return 1;
        if (CommandSupport.IsDom0(dom))
        {
            stderr.WriteLine("xenon: Domain-0 (the host) cannot be destroyed");
            return 1;
        }
        if (FindAndSend(dom, "destroy", "xenon destroy", stderr, context, out var d) != 0) return 1;
        ConsoleClient.WaitForOutcome(d!.Directory, TimeSpan.FromSeconds(30), TextWriter.Null);
        ForgetIfGone(context);
        return 0;
    }

    // The domain process removes its nodes as it exits; if it died first, the toolstack does it (Reconcile).
    private static void ForgetIfGone(ToolstackContext context)
    {
        using var records = XenStoreLauncher.Open(context, TextWriter.Null);
    }
}
