using Xenon.Machine.Memory;

namespace Xenon.Machine.Tests.Memory;

public sealed class GuestMemoryTests
{
    [Theory]
    [InlineData(64UL << 20)]
    [InlineData(3UL << 30)]
    public void SmallGuestsAreOneRegionBelowTheHole(ulong size)
    {
        using var m = GuestMemory.CreateX86(size);
        Assert.Single(m.Regions);
        Assert.Equal(0UL, m.Regions[0].GuestAddress);
        Assert.Equal(size, m.RamSize);
    }

    [Fact]
    public void LargeGuestsContinueAbove4GiB()
    {
        using var m = GuestMemory.CreateX86(20UL << 30); // MAP_NORESERVE memfd: costs nothing until touched
        Assert.Equal(2, m.Regions.Count);
        Assert.Equal(X86Layout.MmioHoleStart, m.Regions[0].Size);
        Assert.Equal(X86Layout.MmioHoleEnd, m.Regions[1].GuestAddress);
        Assert.Equal(20UL << 30, m.RamSize);
        Assert.False(m.IsValidRange(X86Layout.IoApicBase, 4));
        m.Write(X86Layout.MmioHoleEnd + 0x1000, 0xdeadbeefu);
        Assert.Equal(0xdeadbeefu, m.Read<uint>(X86Layout.MmioHoleEnd + 0x1000));
    }

    [Fact]
    public void ReadsAndWritesRoundTrip()
    {
        using var m = GuestMemory.CreateX86(64UL << 20);
        m.Write(0x1234, "xenon"u8);
        var back = new byte[5];
        m.Read(0x1234, back);
        Assert.Equal("xenon"u8.ToArray(), back);
    }

    [Theory]
    [InlineData(64UL << 20, 1)]                  // one byte past the end
    [InlineData((64UL << 20) - 2, 4)]            // straddles the end
    [InlineData(ulong.MaxValue - 1, 4)]          // wraps
    [InlineData(0xfee00000UL, 4)]                // LAPIC: not RAM
    public void AccessesOutsideRamAreRefused(ulong gpa, int length)
    {
        using var m = GuestMemory.CreateX86(64UL << 20);
        Assert.False(m.TryGetSpan(gpa, length, out _));
        var e = Assert.Throws<GuestMemoryException>(() => m.GetSpan(gpa, length));
        Assert.Equal(gpa, e.Address);
        Assert.Contains($"0x{gpa:x}", e.Message);
    }

    [Fact]
    public void RangesStraddlingTwoRegionsAreRefused()
    {
        using var m = GuestMemory.Create([(0UL, 0x10000UL), (0x10000UL, 0x10000UL)]);
        Assert.True(m.IsValidRange(0xf000, 0x1000));
        Assert.False(m.IsValidRange(0xf000, 0x2000));
    }

    [Fact]
    public void NegativeLengthIsRefused()
    {
        using var m = GuestMemory.CreateX86(64UL << 20);
        Assert.False(m.TryGetSpan(0, -1, out _));
    }

    [Theory]
    [InlineData(1UL << 20)]       // below the minimum
    [InlineData((64UL << 20) + 1)] // not page-aligned
    public void BadSizesAreRefused(ulong size)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GuestMemory.CreateX86(size));
    }

    [Fact]
    public void OverlappingOrMisalignedLayoutsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => GuestMemory.Create([(0UL, 0x2000UL), (0x1000UL, 0x1000UL)]));
        Assert.Throws<ArgumentException>(() => GuestMemory.Create([(0x10UL, 0x1000UL)]));
    }
}
