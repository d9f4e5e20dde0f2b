namespace Xenon.Domain.Migration;

/// <summary>One pass over guest memory: the full pass is round 0, the final (paused) pass is the last.</summary>
public readonly record struct MigrationRound(int Index, ulong Pages, ulong Bytes, TimeSpan Duration, bool Paused);
