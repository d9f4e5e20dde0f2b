using Xenon.Toolstack.Cli;
using Xenon.Toolstack.Console;
using Xenon.Toolstack.Domains;

namespace Xenon.Toolstack.Commands;

/// <summary>
/// <c>xenon console [-t pv|serial] [-n NUM] DOMAIN</c>, as xl console: attaches this terminal to the domain's
/// console (its serial port, served on the domain process's console socket); Ctrl-] detaches.
/// </summary>
public static class ConsoleCommand
{
    public const string Usage = "Usage: xenon console [-t <pv|serial>] [-n <number>] <Domain>";

    public static int Run(IReadOnlyList<string> args, TextWriter stderr, ToolstackContext context)
    {
        var line = CommandSupport.Parse(args, [new OptionSpec('t', null, "TYPE"), new OptionSpec('n', null, "NUM")], "xenon console", Usage, stderr);
        if (line is null) return CommandSupport.Failure;
        if (line.Operands.Count != 1)
        {
            stderr.WriteLine(Usage);
            return CommandSupport.Failure;
        }
        if (line.Value('t') is { } type && type is not ("pv" or "serial"))
        {
            stderr.WriteLine($"console type '{type}' is not supported (pv or serial)");
            return CommandSupport.Failure;
        }
        if (line.Value('n') is { } num && num != "0")
        {
            stderr.WriteLine($"xenon console: domain {line.Operands[0]} has one console (0), not {num}");
            return CommandSupport.Failure;
        }
        if (CommandSupport.Find(new DomainRegistry(context), line.Operands[0], stderr) is not { } d) return CommandSupport.Failure;
        if (!File.Exists(d.Directory.ConsoleSocket))
        {
            stderr.WriteLine($"xenon console: domain {d.Name} has no console socket (a foreground domain's console is its own terminal)");
            return CommandSupport.Failure;
        }
        try
        {
            ConsoleClient.Attach(d.Directory, stderr);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            stderr.WriteLine($"xenon console: cannot attach to {d.Directory.ConsoleSocket}: {e.Message}");
            return CommandSupport.Failure;
        }
        // xl console returns 0 when the console goes away, whatever became of the domain.
        return 0;
    }
}
