namespace Xenon.Domain.Migration;

/// <summary>
/// When pre-copy stops and the domain is paused for the last round (docs/migration.md). Xen stops after a fixed
/// number of iterations or below 50 dirty pages; QEMU when the remaining data fits its downtime limit at the measured
/// bandwidth. This does both, plus "the dirty set stopped shrinking" and a cap on the total sent.
/// </summary>
public sealed record MigrationPolicy
{
    /// <summary>Stop once the dirty set would cross the link in this long at the rate measured so far.</summary>
    public TimeSpan FinalTransferTarget { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>A dirty set this small always ends pre-copy, whatever the measured rate (Xen's 50 pages).</summary>
    public ulong SmallDirtyPages { get; init; } = 50;

    /// <summary>Rounds of dirty pages after the first full pass.</summary>
    public int MaxRounds { get; init; } = 30;

    /// <summary>Rounds in a row whose dirty set is not below <see cref="ShrinkRatio"/> × the smallest one seen so far.</summary>
    public int MaxRoundsWithoutProgress { get; init; } = 3;

    public double ShrinkRatio { get; init; } = 0.9;

    /// <summary>Stop once this many times the guest's RAM has been sent (Xen's max_factor 3).</summary>
    public double MaxSentFactor { get; init; } = 3.0;

    /// <summary>How long the sender waits for each answer of the receiver (banner, confirmation, running).</summary>
    public TimeSpan ReplyTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>How long the sender waits, after the configuration, for the receiver to build the domain (its domain
    /// process starts then: seconds on a loaded or emulated host).</summary>
    public TimeSpan BuildTimeout { get; init; } = TimeSpan.FromSeconds(300);

    public static MigrationPolicy Default { get; } = new();
}
