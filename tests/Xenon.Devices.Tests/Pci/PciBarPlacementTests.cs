using Xenon.Devices.Pci;
using Xenon.Devices.Tests.Pci.Support;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Tests.Pci;

public sealed class PciBarPlacementTests
{
    private const uint MemoryAndIo = PciCommand.MemorySpace | PciCommand.IoSpace;

    private static (PciRig Rig, TestPciDevice Dev, PciAddress Address) Attached()
    {
        var rig = new PciRig();
        var dev = TestPciDevice.Create(new FakeMsiSink());
        return (rig, dev, rig.Root.Attach(dev));
    }

    [Fact]
    public void BarsStayUnmappedUntilDecodingIsEnabled()
    {
        var (rig, dev, a) = Attached();
        rig.Cf8Write(a, 0x10, 0xc000_0000, 4);
        Assert.Null(rig.Root.MappedAddress(a, 0));
        rig.MmioRead32(0xc000_0000);
        Assert.Equal(0, dev.Bar0.Reads);

        rig.Cf8Write(a, 4, PciCommand.MemorySpace, 2);
        Assert.Equal(0xc000_0000ul, rig.Root.MappedAddress(a, 0));
        rig.MmioWrite32(0xc000_0010, 0xdead_beef);
        Assert.Equal(0xdead_beefu, rig.MmioRead32(0xc000_0010));
        Assert.Equal(0xef, dev.Bar0[0x10]);

        rig.Cf8Write(a, 4, 0, 2);
        Assert.Null(rig.Root.MappedAddress(a, 0));
    }

    [Fact]
    public void BarMovesAreAnnounced()
    {
        var (rig, dev, a) = Attached();
        var moves = new List<(int Bar, ulong? Address)>();
        rig.Root.BarMoved += (d, bar, address) =>
        {
            Assert.Same(dev, d);
            moves.Add((bar, address));
        };
        rig.Cf8Write(a, 0x10, 0xc000_0000, 4);
        Assert.Empty(moves);
        rig.Cf8Write(a, 4, PciCommand.MemorySpace, 2);
        rig.Cf8Write(a, 0x10, 0xc010_0000, 4);
        rig.Cf8Write(a, 4, PciCommand.MemorySpace, 2);
        rig.Cf8Write(a, 4, 0, 2);
        Assert.Equal([(0, 0xc000_0000ul), (0, 0xc010_0000ul), (0, null)], moves);
    }

    [Fact]
    public void MovingABarReRegistersItsRegion()
    {
        var (rig, dev, a) = Attached();
        rig.Cf8Write(a, 0x10, 0xc000_0000, 4);
        rig.Cf8Write(a, 4, PciCommand.MemorySpace, 2);
        rig.MmioWrite32(0xc000_0000, 0x1111_1111);

        rig.Cf8Write(a, 0x10, 0xc010_0000, 4);
        Assert.Equal(0xc010_0000ul, rig.Root.MappedAddress(a, 0));

        long unhandledBefore = rig.Mmio.Unhandled.Total;
        Assert.Equal(0xffff_ffffu, rig.MmioRead32(0xc000_0000));
        Assert.Equal(unhandledBefore + 1, rig.Mmio.Unhandled.Total);
        Assert.Equal(0x1111_1111u, rig.MmioRead32(0xc010_0000));
    }

    [Fact]
    public void SizingWithDecodingOnLeavesTheBarUnmappedThenRestoresIt()
    {
        var (rig, _, a) = Attached();
        rig.Cf8Write(a, 0x10, 0xc000_0000, 4);
        rig.Cf8Write(a, 4, PciCommand.MemorySpace, 2);
        rig.Cf8Write(a, 0x10, 0xffff_ffff, 4);
        Assert.Equal(0xffff_f000u, rig.Cf8Read(a, 0x10, 4));
        Assert.Null(rig.Root.MappedAddress(a, 0)); // 0xfffff000 is outside the PCI window
        rig.Cf8Write(a, 0x10, 0xc000_0000, 4);
        Assert.Equal(0xc000_0000ul, rig.Root.MappedAddress(a, 0));
    }

    [Theory]
    [InlineData(0x0000_0000u)]         // address 0 means unassigned
    [InlineData(0x8000_0000u)]         // RAM below the hole
    [InlineData(0xe000_0000u)]         // the ECAM window
    [InlineData(0xfee0_0000u)]         // the local APIC
    public void InvalidPlacementsAreIgnored(uint address)
    {
        var (rig, dev, a) = Attached();
        rig.Cf8Write(a, 4, PciCommand.MemorySpace, 2);
        rig.Cf8Write(a, 0x10, address, 4);
        Assert.Null(rig.Root.MappedAddress(a, 0));
        // ECAM must still work: the BAR did not steal its range.
        Assert.Equal(0x5678_1234u, rig.EcamRead(a, 0, 4));
        Assert.Equal(0, dev.Bar0.Reads);
    }

    [Fact]
    public void OverlappingBarsLeaveTheSecondUnmapped()
    {
        var rig = new PciRig();
        var first = TestPciDevice.Create(new FakeMsiSink());
        var second = TestPciDevice.Create(new FakeMsiSink());
        var a = rig.Root.Attach(first);
        var b = rig.Root.Attach(second);
        foreach (var x in new[] { a, b })
        {
            rig.Cf8Write(x, 0x10, 0xc000_0000, 4);
            rig.Cf8Write(x, 4, PciCommand.MemorySpace, 2);
        }
        Assert.Equal(0xc000_0000ul, rig.Root.MappedAddress(a, 0));
        Assert.Null(rig.Root.MappedAddress(b, 0));
        Assert.Contains(rig.Log, l => l.Contains("overlaps", StringComparison.Ordinal));
        rig.Cf8Write(b, 0x10, 0xc000_1000, 4);
        Assert.Equal(0xc000_1000ul, rig.Root.MappedAddress(b, 0));
    }

    [Fact]
    public void Memory64BarMovesWhenBothHalvesAreWritten()
    {
        var rig = new PciRig(PciWindows.Default with { Mmio64Start = 0x10_0000_0000, Mmio64End = 0x20_0000_0000 });
        var dev = TestPciDevice.Create(new FakeMsiSink());
        var a = rig.Root.Attach(dev);
        rig.Cf8Write(a, 4, PciCommand.MemorySpace, 2);
        rig.Cf8Write(a, 0x18, 0xc100_0000, 4);
        rig.Cf8Write(a, 0x1c, 0, 4);
        Assert.Equal(0xc100_0000ul, rig.Root.MappedAddress(a, 2));
        rig.Cf8Write(a, 0x1c, 0x10, 4);
        Assert.Equal(0x10_c100_0000ul, rig.Root.MappedAddress(a, 2));
        rig.MmioWrite32(0x10_c100_0004, 0x42);
        Assert.Equal(0x42, dev.Bar2Registers[4]);
    }

    [Fact]
    public void IoBarMovesInsideTheIoWindow()
    {
        var (rig, dev, a) = Attached();
        rig.Cf8Write(a, 0x14, 0xc100, 4);
        rig.Cf8Write(a, 4, PciCommand.IoSpace, 2);
        Assert.Equal(0xc100ul, rig.Root.MappedAddress(a, 1));
        rig.Out(0xc104, 0x5a, 1);
        Assert.Equal(0x5a, dev.Bar1[4]);

        rig.Cf8Write(a, 0x14, 0xd000, 4);
        Assert.Equal(0xffu, rig.In(0xc104, 1));
        Assert.Equal(0x5au, rig.In(0xd004, 1));

        rig.Cf8Write(a, 0x14, 0x0060, 4); // the keyboard controller's ports: outside the window
        Assert.Null(rig.Root.MappedAddress(a, 1));
    }

    [Fact]
    public void AllocatorPlacesEveryBarAlignedAndEnablesDecoding()
    {
        var rig = new PciRig();
        var devs = new[] { TestPciDevice.Create(new FakeMsiSink()), TestPciDevice.Create(new FakeMsiSink()) };
        var addrs = devs.Select(d => rig.Root.Attach(d)).ToArray();
        var assignments = new PciBarAllocator(rig.Root.Windows).AssignAll(rig.Root);
        Assert.Equal(6, assignments.Count);
        foreach (var x in assignments)
        {
            Assert.True(x.Base % x.Size == 0, $"{x} is not naturally aligned");
            if (x.Kind == PciBarKind.Io) Assert.InRange(x.Base, 0xc000ul, 0xffffUL);
            else Assert.InRange(x.Base, X86Layout.PciMmio32Base, X86Layout.PciMmio32End - x.Size);
            Assert.Equal(x.Base, rig.Root.MappedAddress(x.Address, x.BarIndex));
        }
        for (int i = 0; i < assignments.Count; i++)
            for (int j = i + 1; j < assignments.Count; j++)
            {
                var p = assignments[i];
                var q = assignments[j];
                if ((p.Kind == PciBarKind.Io) != (q.Kind == PciBarKind.Io)) continue;
                Assert.False(p.Base < q.Base + q.Size && q.Base < p.Base + p.Size, $"{p} overlaps {q}");
            }
        foreach (var a in addrs)
            Assert.Equal(MemoryAndIo, rig.Cf8Read(a, 4, 2) & MemoryAndIo);
        // The host bridge has no BARs: its command register is as it was.
        Assert.Equal(MemoryAndIo, rig.Cf8Read(new PciAddress(0, 0, 0), 4, 2));
    }

    [Fact]
    public void AllocatorFailsClearlyWhenTheWindowIsFull()
    {
        var rig = new PciRig(PciWindows.Default with { Mmio32End = PciWindows.Default.Mmio32Start + 0x2000 });
        rig.Root.Attach(TestPciDevice.Create(new FakeMsiSink()));
        var e = Assert.Throws<InvalidOperationException>(() => new PciBarAllocator(rig.Root.Windows).AssignAll(rig.Root));
        Assert.Contains("test BAR2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RestoredConfigurationIsMappedOnRefresh()
    {
        var (rig, dev, a) = Attached();
        new PciBarAllocator(rig.Root.Windows).AssignAll(rig.Root);
        var saved = dev.Config.GetState();
        ulong? before = rig.Root.MappedAddress(a, 0);

        var target = new PciRig();
        var copy = TestPciDevice.Create(new FakeMsiSink());
        var b = target.Root.Attach(copy);
        Assert.Null(target.Root.MappedAddress(b, 0));
        copy.Config.SetState(saved);
        target.Root.RefreshMappings();
        Assert.Equal(before, target.Root.MappedAddress(b, 0));
    }

    [Fact]
    public void ResetUnmapsGuestPlacementsAndReplaysFirmware()
    {
        var (rig, _, a) = Attached();
        var assignments = new PciBarAllocator(rig.Root.Windows).AssignAll(rig.Root);
        ulong bar0 = assignments.Single(x => x.Address == a && x.BarIndex == 0).Base;
        rig.Cf8Write(a, 0x10, 0xd000_0000, 4);
        rig.Cf8Write(a, 0x3c, 0x0b, 1);
        Assert.Equal(0xd000_0000ul, rig.Root.MappedAddress(a, 0));

        rig.Root.Reset();
        Assert.Equal(bar0, rig.Root.MappedAddress(a, 0));
        Assert.Equal(0u, rig.Cf8Read(a, 0x3c, 1));
    }
}
