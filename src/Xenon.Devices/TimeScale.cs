namespace Xenon.Devices;

/// <summary>
/// value × multiplier ÷ divisor in 64-bit arithmetic, for converting between clock rates (timestamp ticks, nanoseconds,
/// a device's own counter rate). Int128 would be simpler, but a method that uses it gets no ReadyToRun code: it was
/// compiled on first use, inside a restore's window (the ACPI PM timer and virtio-rng state, 60-300 ms under the
/// nested host's TCG).
/// </summary>
internal static class TimeScale
{
    /// <summary>value × multiplier ÷ divisor, rounded toward zero, exact (as in 128-bit arithmetic) as long as
    /// (divisor − 1) × multiplier and the result fit in a long. multiplier and divisor must be positive.</summary>
    public static long MulDiv(long value, long multiplier, long divisor)
    {
        // value = q × divisor + r (r with value's sign), so value × multiplier ÷ divisor = q × multiplier + r × multiplier ÷ divisor,
        // where q × multiplier is whole and both parts have the same sign: truncating the sum truncates the second part.
        long q = Math.DivRem(value, divisor, out long r);
        return q * multiplier + r * multiplier / divisor;
    }

    /// <summary>value × multiplier ÷ divisor rounded up, for value ≥ 0; exact under the same conditions as <see cref="MulDiv"/>.</summary>
    public static long MulDivCeiling(long value, long multiplier, long divisor)
    {
        long q = Math.DivRem(value, divisor, out long r);
        return q * multiplier + (r * multiplier + divisor - 1) / divisor;
    }
}
