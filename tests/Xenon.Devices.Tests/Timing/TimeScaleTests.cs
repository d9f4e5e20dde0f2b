namespace Xenon.Devices.Tests.Timing;

/// <summary>TimeScale's 64-bit rate conversions give what 128-bit arithmetic gives, for the rates the devices use.</summary>
public sealed class TimeScaleTests
{
    private const long PmTimerHz = 3_579_545;
    private const long Nanoseconds = 1_000_000_000;

    public static TheoryData<long, long, long> Cases => new()
    {
        { 0, PmTimerHz, Nanoseconds },
        { 1, PmTimerHz, Nanoseconds },
        { Nanoseconds - 1, PmTimerHz, Nanoseconds },
        { 3 * 86_400 * Nanoseconds + 123_456_789, PmTimerHz, Nanoseconds },   // three days of uptime in ns ticks
        { long.MaxValue / PmTimerHz * 1000, PmTimerHz, Nanoseconds },            // far past where value × multiplier overflows
        { (1L << 32) - 1, Nanoseconds, PmTimerHz },                              // a whole 32-bit PM timer back to ticks
        { 1L << 62, Nanoseconds, Nanoseconds },                                  // the longest saved rate window
        { -5 * Nanoseconds - 7, PmTimerHz, Nanoseconds },                        // negative: rounds toward zero like Int128
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MulDivEqualsThe128BitResult(long value, long multiplier, long divisor) =>
        Assert.Equal((long)((Int128)value * multiplier / divisor), TimeScale.MulDiv(value, multiplier, divisor));

    [Theory]
    [MemberData(nameof(Cases))]
    public void MulDivCeilingEqualsThe128BitResultRoundedUp(long value, long multiplier, long divisor)
    {
        if (value < 0) return; // defined for value >= 0 only
        Assert.Equal((long)(((Int128)value * multiplier + divisor - 1) / divisor), TimeScale.MulDivCeiling(value, multiplier, divisor));
    }

    [Fact]
    public void RandomValuesAgreeWith128BitArithmetic()
    {
        var random = new Random(5);
        for (int i = 0; i < 10_000; i++)
        {
            long value = random.NextInt64(0, 1L << 52);
            Assert.Equal((long)((Int128)value * PmTimerHz / Nanoseconds), TimeScale.MulDiv(value, PmTimerHz, Nanoseconds));
            long counts = random.NextInt64(0, 1L << 32);
            Assert.Equal((long)(((Int128)counts * Nanoseconds + PmTimerHz - 1) / PmTimerHz), TimeScale.MulDivCeiling(counts, Nanoseconds, PmTimerHz));
        }
    }
}
