namespace Xenon.Devices.Virtio.Rng;

/// <summary>
/// Limits of a virtio-rng device. <see cref="MaxBytesPerPeriod"/>/<see cref="Period"/> mean what QEMU's
/// rng device's max-bytes/period mean: at most that many bytes in each window of that length; requests
/// beyond it wait (stay in the ring) for the next window.
/// </summary>
public sealed record VirtioRngOptions
{
    public const int DefaultMaxBytesPerRequest = 64 * 1024;

    /// <summary>Upper bound on the bytes one request is given, whatever its buffers' size (1 B .. 16 MiB).</summary>
    public int MaxBytesPerRequest { get; init; } = DefaultMaxBytesPerRequest;

    /// <summary>Bytes allowed per <see cref="Period"/>; 0 means unlimited.</summary>
    public ulong MaxBytesPerPeriod { get; init; }

    public TimeSpan Period { get; init; } = TimeSpan.FromSeconds(1);

    public ushort QueueSize { get; init; } = 64;

    public static VirtioRngOptions Default { get; } = new();

    internal void Validate()
    {
        if (MaxBytesPerRequest is < 1 or > 16 << 20)
            throw new ArgumentOutOfRangeException(nameof(MaxBytesPerRequest), MaxBytesPerRequest, "must be in 1 .. 16 MiB");
        if (MaxBytesPerPeriod != 0 && Period <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(Period), Period, "a rate limit needs a positive period");
        if (!Queue.SplitRingLayout.IsValidSize(QueueSize))
            throw new ArgumentOutOfRangeException(nameof(QueueSize), QueueSize, "not a power of two in 1..32768");
    }
}
