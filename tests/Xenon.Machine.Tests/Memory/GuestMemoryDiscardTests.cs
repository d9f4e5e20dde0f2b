using System.Runtime.InteropServices;
using Xenon.Machine.Memory;

namespace Xenon.Machine.Tests.Memory;

/// <summary>
/// GuestMemory.Discard gives pages back to the host: checked with mincore (is the page still resident in this
/// mapping, or for a memfd in the file?) rather than process RSS, which other tests running in parallel move.
/// </summary>
public sealed partial class GuestMemoryDiscardTests
{
    private const ulong MiB = 1UL << 20;
    private const ulong Page = 4096;

    [Theory]
    [InlineData(GuestMemoryBacking.Anonymous)]
    [InlineData(GuestMemoryBacking.SharedMemfd)]
    public void DiscardedPagesLeaveTheHostAndReadAsZero(GuestMemoryBacking backing)
    {
        using var memory = GuestMemory.Create([(0, 8 * MiB)], backing);
        Touch(memory, 0, 8 * MiB);
        Assert.Equal(8 * MiB / Page, ResidentPages(memory, 0, 8 * MiB));

        Assert.True(memory.Discard(2 * MiB, 4 * MiB));

        Assert.Equal(0UL, ResidentPages(memory, 2 * MiB, 4 * MiB));
        Assert.Equal(2 * MiB / Page, ResidentPages(memory, 0, 2 * MiB));
        Assert.Equal(2 * MiB / Page, ResidentPages(memory, 6 * MiB, 2 * MiB));
        Assert.Equal(0, memory.Read<byte>(2 * MiB));
        Assert.Equal(0, memory.Read<byte>(6 * MiB - 1));
        Assert.Equal(Pattern(2 * MiB - 1), memory.Read<byte>(2 * MiB - 1));
        Assert.Equal(Pattern(6 * MiB), memory.Read<byte>(6 * MiB));

        // A discarded page comes back (zeroed) when the guest touches it again.
        memory.Write<byte>(3 * MiB, 0x5a);
        Assert.Equal(0x5a, memory.Read<byte>(3 * MiB));
    }

    [Theory]
    [InlineData(GuestMemoryBacking.Anonymous)]
    [InlineData(GuestMemoryBacking.SharedMemfd)]
    public void SinglePagesInsideAHugePageCanBeDiscarded(GuestMemoryBacking backing)
    {
        using var memory = GuestMemory.Create([(0, 4 * MiB)], backing);
        Touch(memory, 0, 4 * MiB);

        Assert.True(memory.Discard(MiB + 5 * Page, Page));

        Assert.Equal(0UL, ResidentPages(memory, MiB + 5 * Page, Page));
        Assert.Equal(0, memory.Read<byte>(MiB + 5 * Page));
        Assert.Equal(Pattern(MiB + 6 * Page), memory.Read<byte>(MiB + 6 * Page));
        Assert.Equal(Pattern(MiB + 5 * Page - 1), memory.Read<byte>(MiB + 5 * Page - 1));
    }

    [Fact]
    public void DiscardWorksInEveryRegion()
    {
        using var memory = GuestMemory.Create([(0, 2 * MiB), (16 * MiB, 2 * MiB)]);
        Touch(memory, 16 * MiB, 2 * MiB);
        Assert.True(memory.Discard(17 * MiB, MiB));
        Assert.Equal(0UL, ResidentPages(memory, 17 * MiB, MiB));
        Assert.Equal(MiB / Page, ResidentPages(memory, 16 * MiB, MiB));
    }

    [Theory]
    [InlineData(0x1000UL, 0UL)]                   // empty
    [InlineData(0x1001UL, 0x1000UL)]              // unaligned address
    [InlineData(0x1000UL, 0x800UL)]               // unaligned length
    [InlineData(0x1F_F000UL, 0x2000UL)]           // runs past the end of the first region
    [InlineData(0x80_0000UL, 0x1000UL)]           // in the hole between regions
    [InlineData(0x1F_F000UL, 0x100_2000UL)]       // straddles the hole into the second region
    [InlineData(0x120_0000UL, 0x1000UL)]          // beyond all RAM
    [InlineData(0xFFFF_FFFF_FFFF_F000UL, 0x2000UL)] // wraps past 2^64
    [InlineData(0x1000UL, 0xFFFF_FFFF_FFFF_F000UL)] // absurd length
    public void BadRangesAreRefusedAndReleaseNothing(ulong gpa, ulong length)
    {
        using var memory = GuestMemory.Create([(0, 2 * MiB), (16 * MiB, 2 * MiB)]);
        Touch(memory, 0, 2 * MiB);
        Touch(memory, 16 * MiB, 2 * MiB);

        Assert.False(memory.Discard(gpa, length));

        Assert.Equal(2 * MiB / Page, ResidentPages(memory, 0, 2 * MiB));
        Assert.Equal(2 * MiB / Page, ResidentPages(memory, 16 * MiB, 2 * MiB));
        Assert.Equal(Pattern(0x1000), memory.Read<byte>(0x1000));
    }

    private static byte Pattern(ulong gpa) => (byte)(gpa / Page * 13 + gpa % 251 + 1);

    /// <summary>Writes a non-zero pattern on every page so each is resident.</summary>
    private static void Touch(GuestMemory memory, ulong gpa, ulong length)
    {
        var page = new byte[Page];
        for (ulong at = gpa; at < gpa + length; at += Page)
        {
            for (int i = 0; i < page.Length; i++) page[i] = Pattern(at + (ulong)i);
            memory.Write(at, page);
        }
    }

    private static unsafe ulong ResidentPages(GuestMemory memory, ulong gpa, ulong length)
    {
        Assert.True(memory.TryTranslate(gpa, length, out nint host));
        ulong pages = length / Page;
        var vector = new byte[pages];
        fixed (byte* v = vector)
            Assert.Equal(0, mincore(host, (nuint)length, v));
        ulong resident = 0;
        foreach (byte b in vector) resident += (ulong)(b & 1);
        return resident;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int mincore(nint address, nuint length, byte* vector);
}
