namespace Xenon.Domain.Migration;

/// <summary>
/// The pre-copy round policy as a small state machine, apart from any I/O so that it can be tested alone: after the
/// full pass and after each round, <see cref="Decide"/> is told the size of the new dirty set and answers whether to
/// send it live (another round) or to pause the domain and send it as the last round.
/// </summary>
public sealed class PrecopyRounds
{
    private readonly MigrationPolicy _policy;
    private readonly ulong _ramBytes;
    private ulong _smallest = ulong.MaxValue;
    private int _withoutProgress;

    public PrecopyRounds(MigrationPolicy policy, ulong ramBytes)
    {
        ArgumentNullException.ThrowIfNull(policy);
        _policy = policy;
        _ramBytes = ramBytes;
    }

    /// <summary>Live rounds decided so far (the full pass is not one).</summary>
    public int Rounds { get; private set; }

    /// <param name="dirtyPages">Pages dirtied since the last pass.</param>
    /// <param name="bytesSent">Everything sent so far (the stream's bytes).</param>
    /// <param name="bytesPerSecond">The link rate measured so far (0: unknown).</param>
    /// <returns><see cref="PrecopyStopReason.None"/> to send the set live and look again; otherwise why to stop now.</returns>
    public PrecopyStopReason Decide(ulong dirtyPages, ulong bytesSent, double bytesPerSecond)
    {
        if (dirtyPages <= _policy.SmallDirtyPages) return PrecopyStopReason.Converged;
        if (bytesPerSecond > 0 && dirtyPages * 4096.0 / bytesPerSecond <= _policy.FinalTransferTarget.TotalSeconds)
            return PrecopyStopReason.Converged;
        if (dirtyPages < _smallest * _policy.ShrinkRatio || _smallest == ulong.MaxValue)
            _withoutProgress = 0;
        else if (++_withoutProgress >= _policy.MaxRoundsWithoutProgress)
            return PrecopyStopReason.NotShrinking;
        _smallest = Math.Min(_smallest, dirtyPages);
        if (Rounds >= _policy.MaxRounds) return PrecopyStopReason.RoundLimit;
        if (_ramBytes > 0 && bytesSent + dirtyPages * 4096.0 > _policy.MaxSentFactor * _ramBytes) return PrecopyStopReason.SentLimit;
        Rounds++;
        return PrecopyStopReason.None;
    }
}
