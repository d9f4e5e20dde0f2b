using Xenon.Toolstack.Cli;
using Xenon.Toolstack.Domains;

namespace Xenon.Toolstack.Commands;

/// <summary>What every domain subcommand does the same way: option parsing with xl-style usage errors, and
/// xl's find_domain (a domain id or a name, or xl's error).</summary>
internal static class CommandSupport
{
    public const int Failure = 1;

    /// <summary>Parses; on a usage error prints it (and the usage line) and returns null.</summary>
    public static CommandLine? Parse(IReadOnlyList<string> args, OptionSpec[] specs, string command, string usage, TextWriter stderr)
    {
        try
        {
            return CommandLine.Parse(args, specs, command, usage);
        }
        catch (UsageException e)
        {
            stderr.WriteLine(e.Message);
            stderr.WriteLine(e.Usage);
            return null;
        }
    }

    /// <summary>xl's find_domain: the live domain named or numbered <paramref name="arg"/>, else xl's message and null.</summary>
    public static LiveDomain? Find(DomainRegistry registry, string arg, TextWriter stderr)
    {
        if (registry.Find(arg) is { } d) return d;
        stderr.WriteLine($"xenon: {arg} is an invalid domain identifier (rc=-6)");
        return null;
    }

    /// <summary>The host is Domain-0 (id 0) in every listing.</summary>
    public static bool IsDom0(string arg) => arg is "0" or Config.DomainName.Host;
}
