using System.Globalization;
using Xenon.Toolstack.Cli;
using Xenon.Toolstack.Domains;

namespace Xenon.Toolstack.Commands;

/// <summary>
/// <c>xenon log [-n LINES] DOMAIN</c>: the domain's log (the detached domain process's output: build trace,
/// lifecycle events, the last console lines after a crash), as /var/log/xen/qemu-dm-NAME.log and xl's per-domain
/// logs are on Xen. xl dmesg shows the hypervisor's own ring; there is no such ring here, so the per-domain log is
/// what this command shows. A domain that has ended can still be named: its log stays.
/// </summary>
public static class LogCommand
{
    public const string Usage = "Usage: xenon log [-n <lines>] <Domain>";

    /// <summary>The log a live domain was started with (recorded in its runtime directory by create; a rename keeps it).</summary>
    public static string? LogFileOf(LiveDomain? d, ToolstackContext context)
    {
        if (d is null) return null;
        try
        {
            string recorded = Path.Combine(d.Directory.Path, CreateCommand.LogPathFile);
            return File.Exists(recorded) ? File.ReadAllText(recorded).Trim() : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, ToolstackContext context)
    {
        var line = CommandSupport.Parse(args, [new OptionSpec('n', "lines", "LINES")], "xenon log", Usage, stderr);
        if (line is null) return CommandSupport.Failure;
        if (line.Operands.Count != 1)
        {
            stderr.WriteLine(Usage);
            return CommandSupport.Failure;
        }
        int tail = -1;
        if (line.Value('n') is { } n && (!int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out tail) || tail < 0))
        {
            stderr.WriteLine($"xenon log: invalid number of lines \"{n}\"");
            return CommandSupport.Failure;
        }
        string arg = line.Operands[0];
        var live = new DomainRegistry(context).Find(arg);
        string? name = live?.Name;
        if (name is null && !DomainRegistry.IsDomId(arg, out _) && Config.DomainName.Validate(arg) is null && File.Exists(context.LogFileFor(arg)))
            name = arg;
        if (name is null)
        {
            stderr.WriteLine($"xenon: {arg} is an invalid domain identifier (rc=-6)");
            return CommandSupport.Failure;
        }
        string file = LogFileOf(live, context) ?? context.LogFileFor(name);
        if (!File.Exists(file))
        {
            stderr.WriteLine($"xenon log: no log for {name} at {file} (a foreground domain logs to the terminal that runs it)");
            return CommandSupport.Failure;
        }
        var lines = File.ReadAllLines(file);
        int from = tail < 0 ? 0 : Math.Max(0, lines.Length - tail);
        for (int i = from; i < lines.Length; i++) stdout.WriteLine(lines[i]);
        return 0;
    }
}
