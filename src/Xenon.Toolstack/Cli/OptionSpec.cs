namespace Xenon.Toolstack.Cli;

/// <summary>One option a subcommand accepts: <c>-f FILE</c> / <c>--defconfig=FILE</c> or a flag.</summary>
public sealed record OptionSpec(char Short, string? Long = null, string? ArgumentName = null)
{
    public bool TakesArgument => ArgumentName is not null;
}

/// <summary>One option as found on the command line, with its argument if it takes one.</summary>
public readonly record struct ParsedOption(char Short, string? Argument);
