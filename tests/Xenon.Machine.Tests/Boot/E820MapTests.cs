using Xenon.Machine.Boot;
using Xenon.Machine.Memory;

namespace Xenon.Machine.Tests.Boot;

public sealed class E820MapTests
{
    private const ulong MiB = X86Layout.MiB, GiB = X86Layout.GiB;

    private static string Describe(E820Map map) => string.Join("\n", map.Entries);

    [Fact]
    public void SmallGuest()
    {
        using var memory = GuestMemory.CreateX86(64 * MiB);
        var map = E820Map.ForGuest(memory);
        E820Entry[] expected =
        [
            new(0, 0x9fc00, E820Type.Ram),
            new(0x9fc00, 0x100000 - 0x9fc00, E820Type.Reserved),
            new(0x100000, 63 * MiB, E820Type.Ram),
            new(0xe0000000, 256 * MiB, E820Type.Reserved),
        ];
        Assert.True(expected.SequenceEqual(map.Entries), Describe(map));
        Assert.Equal(64 * MiB, map.LowRamEnd);
    }

    [Fact]
    public void GuestThatEndsInsideTheHoleRange()
    {
        // 3.5 GiB: 3 GiB below the hole, 0.5 GiB above 4 GiB
        using var memory = GuestMemory.CreateX86(3 * GiB + 512 * MiB);
        var map = E820Map.ForGuest(memory);
        Assert.Equal(5, map.Entries.Count);
        Assert.Equal(new E820Entry(0x100000, 3 * GiB - MiB, E820Type.Ram), map.Entries[2]);
        Assert.Equal(new E820Entry(0xe0000000, 256 * MiB, E820Type.Reserved), map.Entries[3]);
        Assert.Equal(new E820Entry(4 * GiB, 512 * MiB, E820Type.Ram), map.Entries[4]);
        Assert.Equal(3 * GiB, map.LowRamEnd);
    }

    [Fact]
    public void LargeGuest()
    {
        var map = E820Map.FromRam([(0, 3 * GiB), (4 * GiB, 13 * GiB)]);
        ulong ram = 0;
        foreach (var e in map.Entries) if (e.Type == E820Type.Ram) ram += e.Size;
        Assert.Equal(16 * GiB - (0x100000 - 0x9fc00), ram);
        Assert.Equal(new E820Entry(4 * GiB, 13 * GiB, E820Type.Ram), map.Entries[^1]);
        Assert.True(map.IsRam(16 * GiB, 1 * GiB));
        Assert.False(map.IsRam(3 * GiB, 1));
        Assert.False(map.IsRam(0x9fc00, 1));
        Assert.False(map.IsRam(0x9f000, 0x2000), "a range straddling RAM and the BIOS area is not RAM");
    }

    [Fact]
    public void SixteenGiBGuestMemoryMapsTheSame()
    {
        using var memory = GuestMemory.CreateX86(16 * GiB);
        var fromMemory = E820Map.ForGuest(memory);
        var fromLayout = E820Map.FromRam([(0, 3 * GiB), (4 * GiB, 13 * GiB)]);
        Assert.True(fromLayout.Entries.SequenceEqual(fromMemory.Entries), Describe(fromMemory));
    }

    [Fact]
    public void EcamReservationIsOptional()
    {
        var map = E820Map.FromRam([(0, 64 * MiB)], reservePciEcam: false);
        Assert.Equal(3, map.Entries.Count);
    }

    [Fact]
    public void RamOverlappingTheEcamWindowIsCutAround()
    {
        var map = E820Map.FromRam([(0, 4 * GiB)]);
        Assert.Contains(new E820Entry(0x100000, 0xe0000000 - 0x100000, E820Type.Ram), map.Entries);
        Assert.Contains(new E820Entry(0xf0000000, 0x10000000, E820Type.Ram), map.Entries);
    }

    [Fact]
    public void TooManyEntriesAreRefused()
    {
        var ram = new List<(ulong, ulong)>();
        for (ulong i = 0; i < 200; i++) ram.Add((8 * GiB + i * 2 * MiB, MiB));
        Assert.Throws<ArgumentException>(() => E820Map.FromRam(ram));
    }

    [Fact]
    public void OverlappingRamIsRefused()
        => Assert.Throws<ArgumentException>(() => E820Map.FromRam([(0, 64 * MiB), (32 * MiB, 64 * MiB)]));
}
