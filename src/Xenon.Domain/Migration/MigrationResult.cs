namespace Xenon.Domain.Migration;

/// <summary>What a migration sent and how long the guest stood still.</summary>
/// <param name="BytesSent">Every byte of the stream (handshake frames not counted).</param>
/// <param name="Downtime">From the source's pause until the source read the destination's report that the domain runs.</param>
/// <param name="StopCopy">From the source's pause until the End record was sent.</param>
/// <param name="Total">From the request until the destination reported the domain running.</param>
public sealed record MigrationResult(ulong BytesSent, IReadOnlyList<MigrationRound> Rounds, PrecopyStopReason StopReason,
    TimeSpan Downtime, TimeSpan StopCopy, TimeSpan Total, string DestinationReport)
{
    /// <summary>From the source's pause until the destination let its vCPUs go, when both hosts' monotonic clocks are
    /// one (the same host: benchmarks, tests); null otherwise (<see cref="RunningReport.ResumedAfter"/>). The time the
    /// guest did not run, without the Running frame's trip back.</summary>
    public TimeSpan? ResumedAfterPause { get; init; }

    public ulong PagesSent
    {
        get
        {
            ulong n = 0;
            foreach (var r in Rounds) n += r.Pages;
            return n;
        }
    }

    public override string ToString() =>
        FormattableString.Invariant(
            $"{BytesSent} bytes, {PagesSent} pages in {Rounds.Count} passes (pre-copy ended: {StopReason}), downtime {Downtime.TotalMilliseconds:0.0} ms{(ResumedAfterPause is { } r ? $" (resumed at the destination {r.TotalMilliseconds:0.0} ms after the pause)" : "")}, stop-and-copy {StopCopy.TotalMilliseconds:0.0} ms, total {Total.TotalMilliseconds:0} ms");
}
