namespace Xenon.Domain.Migration;

/// <summary>A migration failed. The message names the destination and the step.</summary>
/// <param name="SourceRunning">True (the usual case): the source domain runs on as before. False only if the destination
/// was told to run the domain and then never confirmed it: the source then stays paused, so that the domain never runs
/// in two places.</param>
public sealed class MigrationException(string message, bool sourceRunning, Exception? inner = null) : Exception(message, inner)
{
    public bool SourceRunning { get; } = sourceRunning;
}
