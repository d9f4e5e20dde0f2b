namespace Xenon.Toolstack.Cli;

/// <summary>
/// The command line is wrong. <see cref="Exception.Message"/> says what is wrong;
/// <see cref="Usage"/> is the usage line to print after it.
/// </summary>
public sealed class UsageException : Exception
{
    public UsageException(string command, string problem, string usage)
        : base($"{command}: {problem}")
    {
        Command = command;
        Problem = problem;
        Usage = usage;
    }

    public string Command { get; }

    public string Problem { get; }

    public string Usage { get; }
}
