namespace Xenon.Toolstack.Cli;

/// <summary>
/// xl-style (getopt_long) argument parsing for one subcommand: short flags that bundle
/// (<c>-Fc</c>), short options with an argument attached or following (<c>-fFILE</c>,
/// <c>-f FILE</c>), long options (<c>--dryrun</c>, <c>--defconfig=FILE</c>, <c>--defconfig FILE</c>),
/// operands anywhere (options are permuted as GNU getopt does), <c>--</c> ending options and a
/// lone <c>-</c> as an operand.
/// </summary>
public sealed class CommandLine
{
    private CommandLine(List<ParsedOption> options, List<string> operands)
    {
        Options = options;
        Operands = operands;
    }

    /// <summary>Options in the order given.</summary>
    public IReadOnlyList<ParsedOption> Options { get; }

    /// <summary>Everything that is not an option, in order.</summary>
    public IReadOnlyList<string> Operands { get; }

    public bool Has(char option)
    {
        foreach (var o in Options)
        {
            if (o.Short == option)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The argument of the last occurrence of <paramref name="option"/> (getopt: last wins).</summary>
    public string? Value(char option)
    {
        string? value = null;
        foreach (var o in Options)
        {
            if (o.Short == option)
            {
                value = o.Argument;
            }
        }

        return value;
    }

    /// <param name="command">Name used in errors, e.g. <c>xenon create</c>.</param>
    /// <param name="usage">The usage line attached to every error.</param>
    public static CommandLine Parse(IReadOnlyList<string> args, IReadOnlyList<OptionSpec> specs, string command, string usage)
    {
        var options = new List<ParsedOption>();
        var operands = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                for (i++; i < args.Count; i++)
                {
                    operands.Add(args[i]);
                }

                break;
            }

            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                i = ParseLong(args, i, specs, options, command, usage);
            }
            else if (arg.Length > 1 && arg[0] == '-')
            {
                i = ParseShortGroup(args, i, specs, options, command, usage);
            }
            else
            {
                operands.Add(arg);
            }
        }

        return new CommandLine(options, operands);
    }

    private static int ParseLong(IReadOnlyList<string> args, int i, IReadOnlyList<OptionSpec> specs,
        List<ParsedOption> options, string command, string usage)
    {
        var body = args[i].AsSpan(2);
        var eq = body.IndexOf('=');
        var name = (eq < 0 ? body : body[..eq]).ToString();
        var spec = FindLong(specs, name) ?? throw new UsageException(command, $"unknown option '--{name}'", usage);
        if (!spec.TakesArgument)
        {
            if (eq >= 0)
            {
                throw new UsageException(command, $"option '--{name}' takes no argument", usage);
            }

            options.Add(new ParsedOption(spec.Short, null));
            return i;
        }

        if (eq >= 0)
        {
            options.Add(new ParsedOption(spec.Short, body[(eq + 1)..].ToString()));
            return i;
        }

        if (i + 1 >= args.Count)
        {
            throw new UsageException(command, $"option '--{name}' needs an argument ({spec.ArgumentName})", usage);
        }

        options.Add(new ParsedOption(spec.Short, args[i + 1]));
        return i + 1;
    }

    private static int ParseShortGroup(IReadOnlyList<string> args, int i, IReadOnlyList<OptionSpec> specs,
        List<ParsedOption> options, string command, string usage)
    {
        var arg = args[i];
        for (var j = 1; j < arg.Length; j++)
        {
            var c = arg[j];
            var spec = FindShort(specs, c) ?? throw new UsageException(command, $"unknown option '-{Printable(c)}'", usage);
            if (!spec.TakesArgument)
            {
                options.Add(new ParsedOption(c, null));
                continue;
            }

            if (j + 1 < arg.Length)
            {
                options.Add(new ParsedOption(c, arg[(j + 1)..]));
                return i;
            }

            if (i + 1 >= args.Count)
            {
                throw new UsageException(command, $"option '-{c}' needs an argument ({spec.ArgumentName})", usage);
            }

            options.Add(new ParsedOption(c, args[i + 1]));
            return i + 1;
        }

        return i;
    }

    private static OptionSpec? FindShort(IReadOnlyList<OptionSpec> specs, char c)
    {
        foreach (var s in specs)
        {
            if (s.Short == c)
            {
                return s;
            }
        }

        return null;
    }

    private static OptionSpec? FindLong(IReadOnlyList<OptionSpec> specs, string name)
    {
        foreach (var s in specs)
        {
            if (s.Long is not null && string.Equals(s.Long, name, StringComparison.Ordinal))
            {
                return s;
            }
        }

        return null;
    }

    private static string Printable(char c) => c is >= ' ' and < (char)0x7f ? c.ToString() : $"\\x{(int)c:x2}";
}
