using System.Diagnostics;
using Xenon.Machine.Soft.Apic;

namespace Xenon.Machine.Tests.Soft.Apic;

/// <summary>The LAPIC timer's clock conversions are 64-bit (no Int128, so ReadyToRun holds them) and must give what
/// the Int128 form gives, bit for bit, wrapped results included.</summary>
public sealed class ApicClockTests
{
    private static readonly long[] Values =
    [
        0, 1, -1, 7, -7, 999_999_999, 1_000_000_000, 1_000_000_001, -999_999_999, -1_000_000_001,
        200_000, 0xFFFF_FFFFL * 128, 123_456_789_012_345, -123_456_789_012_345,
        long.MaxValue, long.MaxValue - 1, long.MinValue, long.MinValue + 1, long.MaxValue / 3, long.MinValue / 7,
    ];

    // 1 GHz is Linux's Stopwatch; the others are clocks another host could have (10 MHz, odd rates, up to 9.2 GHz).
    private static readonly long[] Frequencies = [1_000_000_000, 10_000_000, 3_579_545, 2_500_000_007, 9_000_000_000, 1];

    [Fact]
    public void MulDiv_EqualsInt128_BothDirections_AtEveryRate()
    {
        foreach (long frequency in Frequencies)
        {
            foreach (long value in Values)
            {
                Assert.Equal(ApicClock.Wide(value, frequency, 1_000_000_000), ApicClock.MulDiv(value, frequency, 1_000_000_000));
                Assert.Equal(ApicClock.Wide(value, 1_000_000_000, frequency), ApicClock.MulDiv(value, 1_000_000_000, frequency));
            }
        }
    }

    [Fact]
    public void MulDiv_EqualsInt128_OnRandomValues()
    {
        var random = new Random(20261123);
        for (int i = 0; i < 100_000; i++)
        {
            long value = random.NextInt64(long.MinValue, long.MaxValue) >> random.Next(0, 63);
            long frequency = random.NextInt64(1, 9_000_000_000);
            Assert.Equal(ApicClock.Wide(value, frequency, 1_000_000_000), ApicClock.MulDiv(value, frequency, 1_000_000_000));
            Assert.Equal(ApicClock.Wide(value, 1_000_000_000, frequency), ApicClock.MulDiv(value, 1_000_000_000, frequency));
        }
    }

    [Fact]
    public void Conversions_UseThisHostsClock()
    {
        foreach (long value in Values)
        {
            Assert.Equal(ApicClock.Wide(value, Stopwatch.Frequency, 1_000_000_000), ApicClock.CyclesToTicks(value));
            Assert.Equal(ApicClock.Wide(value, 1_000_000_000, Stopwatch.Frequency), ApicClock.TicksToCycles(value));
        }
    }
}
