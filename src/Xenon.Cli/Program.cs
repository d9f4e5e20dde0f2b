using Xenon.Toolstack.Commands;

namespace Xenon.Cli;

internal static class Program
{
    private const string Usage = """
        Usage: xenon <subcommand> [args]

        Subcommands:
          create [-F] [-c] [-n] CONFIG [key=value ...]   create a domain from an xl.cfg file
          shutdown [-w] DOMAIN                            press the domain's ACPI power button (-w: wait until it is gone)
          destroy DOMAIN                                  stop the domain at once
          mem-set DOMAIN MEM                              set the domain's memory target (the balloon), MEM in MiB or 512m, 1g
          help                                            this text

        See docs/cli.md.
        """;

    private static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "help" or "-h" or "--help")
        {
            Console.Out.WriteLine(Usage);
            return args.Length == 0 ? 1 : 0;
        }
        var rest = args.AsSpan(1).ToArray();
        switch (args[0])
        {
            case "create":
                return CreateCommand.Run(rest, Console.Out, Console.Error);
            case "shutdown":
                return DomainControlCommands.Shutdown(rest, Console.Error);
            case "destroy":
                return DomainControlCommands.Destroy(rest, Console.Error);
            case "mem-set":
                return DomainControlCommands.MemSet(rest, Console.Error);
            case "__domain" when rest.Length == 1:
                // internal: the body of a detached domain process (started by create)
                return Xenon.Domain.Process.DomainProcess.Run(new Xenon.Domain.Process.DomainRuntimeDirectory(rest[0]), Console.Out);
            default:
                Console.Error.WriteLine($"xenon: unknown subcommand '{args[0]}'");
                Console.Error.WriteLine(Usage);
                return 1;
        }
    }
}
