namespace Xenon.Toolstack.Cli;

/// <summary>
/// <c>xenon create</c>'s arguments, as xl create takes them:
/// <c>[-F] [-c] [-n] [-q] [-p] [-d] [-e] [-f FILE] [ConfigFile] [key=value ...]</c>.
/// The config file is <c>-f FILE</c> or the first operand without '='; every operand with '='
/// is a config override applied after the file.
/// </summary>
public sealed record CreateOptions
{
    public const string Command = "xenon create";

    public const string Usage =
        "Usage: xenon create [-F] [-c] [-n] [-q] [-p] [-d] [-e] [-f FILE | ConfigFile] [key=value ...]";

    private static readonly OptionSpec[] Specs =
    [
        new('h', "help"),
        new('F'),
        new('c'),
        new('n', "dryrun"),
        new('q', "quiet"),
        new('p'),
        new('d'),
        new('e'),
        new('f', "defconfig", "FILE"),
    ];

    /// <summary>The configuration file; null only when <see cref="Help"/> is set.</summary>
    public string? ConfigFile { get; init; }

    /// <summary><c>key=value</c> overrides, in order.</summary>
    public IReadOnlyList<string> Overrides { get; init; } = [];

    /// <summary><c>-h</c>: print help and do nothing else.</summary>
    public bool Help { get; init; }

    /// <summary><c>-F</c>: stay in the foreground until the domain dies.</summary>
    public bool Foreground { get; init; }

    /// <summary><c>-c</c>: attach to the console once the domain is created.</summary>
    public bool Console { get; init; }

    /// <summary><c>-n</c>: parse and print the configuration as JSON, create nothing.</summary>
    public bool DryRun { get; init; }

    /// <summary><c>-q</c>: print less.</summary>
    public bool Quiet { get; init; }

    /// <summary><c>-p</c>: leave the domain paused after creating it.</summary>
    public bool Paused { get; init; }

    /// <summary><c>-d</c>: debug output.</summary>
    public bool Debug { get; init; }

    /// <summary><c>-e</c>: do not keep a process waiting for the domain's death (no on_* handling).</summary>
    public bool NoMonitor { get; init; }

    /// <summary>Parses the arguments after <c>create</c>. Throws <see cref="UsageException"/>.</summary>
    public static CreateOptions Parse(IReadOnlyList<string> args)
    {
        var line = CommandLine.Parse(args, Specs, Command, Usage);
        var help = line.Has('h');
        var file = line.Value('f');
        if (file is { Length: 0 })
        {
            throw new UsageException(Command, "option '-f' needs a file name", Usage);
        }

        var overrides = new List<string>();
        foreach (var operand in line.Operands)
        {
            if (operand.Contains('=', StringComparison.Ordinal))
            {
                overrides.Add(operand);
            }
            else if (file is null)
            {
                file = operand;
            }
            else
            {
                throw new UsageException(Command,
                    $"unexpected argument '{operand}' (the config file is {file}; overrides look like key=value)", Usage);
            }
        }

        if (file is null && !help)
        {
            throw new UsageException(Command, "no configuration file given", Usage);
        }

        return new CreateOptions
        {
            ConfigFile = file,
            Overrides = overrides,
            Help = help,
            Foreground = line.Has('F'),
            Console = line.Has('c'),
            DryRun = line.Has('n'),
            Quiet = line.Has('q'),
            Paused = line.Has('p'),
            Debug = line.Has('d'),
            NoMonitor = line.Has('e'),
        };
    }
}
