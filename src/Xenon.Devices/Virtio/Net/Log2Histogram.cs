using System.Numerics;
using System.Text;

namespace Xenon.Devices.Virtio.Net;

/// <summary>
/// A histogram of non-negative values in power-of-two buckets (bucket k holds [2^(k-1), 2^k), bucket 0 holds 0):
/// one increment per sample and no allocation, so it can sit on a device's hot path. Percentiles come out as the
/// upper bound of the bucket they fall in, i.e. within a factor of two, which is what telling 10 µs from 1 ms needs.
/// Written by one thread; a reader on another thread sees each bucket exactly but not a consistent set of them.
/// </summary>
public sealed class Log2Histogram
{
    /// <summary>Values up to 2^62 get their own bucket; anything larger lands in the last.</summary>
    private const int Buckets = 64;

    private readonly long[] _counts = new long[Buckets];
    private long _count;
    private long _sum;
    private long _max;

    public long Count => Volatile.Read(ref _count);

    public long Sum => Volatile.Read(ref _sum);

    public long Max => Volatile.Read(ref _max);

    /// <summary>Samples in bucket <paramref name="bucket"/>.</summary>
    public long this[int bucket] => Volatile.Read(ref _counts[bucket]);

    public static int BucketOf(long value) => value <= 0 ? 0 : Math.Min(Buckets - 1, 64 - BitOperations.LeadingZeroCount((ulong)value));

    /// <summary>The largest value bucket <paramref name="bucket"/> holds (0 for bucket 0).</summary>
    public static long UpperBound(int bucket) => bucket == 0 ? 0 : bucket >= 63 ? long.MaxValue : (1L << bucket) - 1;

    public void Record(long value)
    {
        if (value < 0) value = 0;
        int bucket = BucketOf(value);
        Volatile.Write(ref _counts[bucket], _counts[bucket] + 1);
        Volatile.Write(ref _count, _count + 1);
        Volatile.Write(ref _sum, _sum + value);
        if (value > _max) Volatile.Write(ref _max, value);
    }

    /// <summary>The upper bound of the bucket holding the <paramref name="fraction"/> quantile (0 when empty).</summary>
    public long Percentile(double fraction)
    {
        long count = Count;
        if (count == 0) return 0;
        long rank = Math.Max(1, (long)Math.Ceiling(fraction * count));
        long seen = 0;
        for (int b = 0; b < Buckets; b++)
        {
            seen += this[b];
            if (seen >= rank) return Math.Min(UpperBound(b), Max);
        }
        return Max;
    }

    public void Clear()
    {
        for (int b = 0; b < Buckets; b++) Volatile.Write(ref _counts[b], 0);
        Volatile.Write(ref _count, 0);
        Volatile.Write(ref _sum, 0);
        Volatile.Write(ref _max, 0);
    }

    /// <summary>"n=…, mean …, p50 ≤…, p90 ≤…, p99 ≤…, max …" with <paramref name="unit"/> after each value; for logs (allocates).</summary>
    public string Format(string unit)
    {
        long count = Count;
        if (count == 0) return "n=0";
        var text = new StringBuilder();
        text.Append("n=").Append(count)
            .Append(" mean ").Append(Sum / count).Append(unit)
            .Append(" p50<=").Append(Percentile(0.50)).Append(unit)
            .Append(" p90<=").Append(Percentile(0.90)).Append(unit)
            .Append(" p99<=").Append(Percentile(0.99)).Append(unit)
            .Append(" max ").Append(Max).Append(unit);
        return text.ToString();
    }
}
