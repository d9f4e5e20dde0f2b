using Xenon.Devices.Pci;

namespace Xenon.Devices.Tests.Pci;

public sealed class PciConfigSpaceTests
{
    private static readonly PciIdentity Id = new(0x1af4, 0x1041, 0x020000, Revision: 1, SubsystemVendorId: 0x1af4, SubsystemId: 0x0001);

    private static uint Read(PciConfigSpace c, int offset, int size)
    {
        Span<byte> b = stackalloc byte[4];
        b.Clear();
        c.Read(offset, b[..size]);
        return BitConverter.ToUInt32(b);
    }

    private static void Write(PciConfigSpace c, int offset, uint value, int size) =>
        c.Write(offset, BitConverter.GetBytes(value).AsSpan(0, size));

    [Fact]
    public void HeaderHoldsIdentityAndTypeZero()
    {
        var c = new PciConfigSpace(Id);
        Assert.Equal(0x1041_1af4u, Read(c, 0, 4));
        Assert.Equal(0x0200_0001u, Read(c, 8, 4)); // class 02/00/00, revision 1
        Assert.Equal(0x0001_1af4u, Read(c, 0x2c, 4));
        Assert.Equal(0u, Read(c, 0x0e, 1));
        Assert.Equal(0u, Read(c, 0x34, 1));
        Assert.Equal(Id, c.Identity);
    }

    [Theory]
    [InlineData(0x00, 4)]
    [InlineData(0x08, 4)]
    [InlineData(0x0e, 1)]
    [InlineData(0x2c, 4)]
    [InlineData(0x34, 1)]
    [InlineData(0x3d, 1)]
    [InlineData(0x80, 4)]
    public void ReadOnlyFieldsIgnoreWrites(int offset, int size)
    {
        var c = new PciConfigSpace(Id);
        c.SetInterruptPin(1);
        uint before = Read(c, offset, size);
        Write(c, offset, 0xa5a5_a5a5, size);
        Write(c, offset, 0, size);
        Assert.Equal(before, Read(c, offset, size));
    }

    [Fact]
    public void CommandKeepsOnlyImplementedBits()
    {
        var c = new PciConfigSpace(Id);
        Write(c, 4, 0xffff, 2);
        Assert.Equal((uint)PciCommand.Writable, Read(c, 4, 2));
        Write(c, 4, 0, 2);
        Assert.Equal(0u, Read(c, 4, 2));
    }

    [Fact]
    public void StatusErrorBitsClearOnWriteOfOne()
    {
        var c = new PciConfigSpace(Id);
        c.SetLive(PciConfigOffsets.Status, 0xf900 | PciStatus.CapabilitiesList, 2);
        Write(c, 6, 0x0000, 2);
        Assert.Equal(0xf910u, Read(c, 6, 2));
        Write(c, 6, 0x8100, 2); // clears detected parity error and master data parity error only
        Assert.Equal(0x7810u, Read(c, 6, 2));
        Write(c, 6, 0xffff, 2); // the capabilities bit is read-only
        Assert.Equal(0x0010u, Read(c, 6, 2));
    }

    [Fact]
    public void InterruptLineIsWritableAndPinIsNot()
    {
        var c = new PciConfigSpace(Id);
        c.SetInterruptPin(2);
        Write(c, 0x3c, 0xffff, 2);
        Assert.Equal(0x02ffu, Read(c, 0x3c, 2));
    }

    [Fact]
    public void Memory32BarSizing()
    {
        var c = new PciConfigSpace(Id);
        c.DefineBar(0, PciBarKind.Memory32, 0x4000);
        Assert.Equal(0u, Read(c, 0x10, 4));
        Write(c, 0x10, 0xffff_ffff, 4);
        Assert.Equal(0xffff_c000u, Read(c, 0x10, 4)); // ~(size-1), type bits 0 (32-bit, not prefetchable)
        Write(c, 0x10, 0xc000_1234, 4);
        Assert.Equal(0xc000_0000u, Read(c, 0x10, 4));
        Assert.Equal(0xc000_0000ul, c.BarAddress(0));
    }

    [Fact]
    public void Memory64PrefetchableBarSizing()
    {
        var c = new PciConfigSpace(Id);
        c.DefineBar(2, PciBarKind.Memory64, 0x1_0000_0000, prefetchable: true);
        Assert.Equal(0xcu, Read(c, 0x18, 4)); // 64-bit (bits 2:1 = 10) and prefetchable (bit 3)
        Write(c, 0x18, 0xffff_ffff, 4);
        Write(c, 0x1c, 0xffff_ffff, 4);
        Assert.Equal(0x0000_000cu, Read(c, 0x18, 4)); // a 4 GiB BAR has no writable bits in the low dword
        Assert.Equal(0xffff_ffffu, Read(c, 0x1c, 4));
        Write(c, 0x1c, 0x0000_0008, 4);
        Assert.Equal(0x8_0000_0000ul, c.BarAddress(2));
    }

    [Fact]
    public void SmallMemory64BarSizingReadsAllOnesInUpperHalf()
    {
        var c = new PciConfigSpace(Id);
        c.DefineBar(0, PciBarKind.Memory64, 0x4000);
        Write(c, 0x10, 0xffff_ffff, 4);
        Write(c, 0x14, 0xffff_ffff, 4);
        Assert.Equal(0xffff_c004u, Read(c, 0x10, 4));
        Assert.Equal(0xffff_ffffu, Read(c, 0x14, 4));
    }

    [Fact]
    public void IoBarSizing()
    {
        var c = new PciConfigSpace(Id);
        c.DefineBar(1, PciBarKind.Io, 0x40);
        Assert.Equal(1u, Read(c, 0x14, 4));
        Write(c, 0x14, 0xffff_ffff, 4);
        Assert.Equal(0xffff_ffc1u, Read(c, 0x14, 4));
        Write(c, 0x14, 0xc040, 4);
        Assert.Equal(0xc040ul, c.BarAddress(1));
    }

    [Fact]
    public void UndefinedBarsAreReadOnlyZero()
    {
        var c = new PciConfigSpace(Id);
        for (int bar = 0; bar < 6; bar++)
        {
            Write(c, 0x10 + 4 * bar, 0xffff_ffff, 4);
            Assert.Equal(0u, Read(c, 0x10 + 4 * bar, 4));
        }
    }

    [Theory]
    [InlineData(PciBarKind.Io, 2ul)]
    [InlineData(PciBarKind.Io, 512ul)]
    [InlineData(PciBarKind.Memory32, 0x3000ul)]
    [InlineData(PciBarKind.Memory32, 8ul)]
    public void InvalidBarDefinitionsAreRejected(PciBarKind kind, ulong size)
    {
        var c = new PciConfigSpace(Id);
        Assert.Throws<ArgumentOutOfRangeException>(() => c.DefineBar(0, kind, size));
    }

    [Fact]
    public void Memory64BarTakesTheNextRegister()
    {
        var c = new PciConfigSpace(Id);
        c.DefineBar(0, PciBarKind.Memory64, 0x1000);
        Assert.Throws<InvalidOperationException>(() => c.DefineBar(1, PciBarKind.Memory32, 0x1000));
        Assert.Throws<ArgumentOutOfRangeException>(() => c.DefineBar(5, PciBarKind.Memory64, 0x1000));
    }

    [Fact]
    public void CapabilitiesFormALinkedList()
    {
        var c = new PciConfigSpace(Id);
        int first = c.AddVendorCapability([0x01, 0x02, 0x03, 0x04, 0x05]);
        int second = c.AddCapability(PciCapabilityId.MsiX, 12);
        Assert.Equal(0x40, first);
        Assert.Equal(0x48, second); // 8-byte vendor cap, next one dword aligned
        Assert.NotEqual(0u, Read(c, 6, 2) & PciStatus.CapabilitiesList);
        Assert.Equal(0x40u, Read(c, 0x34, 1));
        Assert.Equal(0x09u, Read(c, 0x40, 1));
        Assert.Equal(0x48u, Read(c, 0x41, 1));
        Assert.Equal(8u, Read(c, 0x42, 1));
        Assert.Equal(0x0403_0201u, Read(c, 0x43, 4));
        Assert.Equal(0x11u, Read(c, 0x48, 1));
        Assert.Equal(0u, Read(c, 0x49, 1));
    }

    [Fact]
    public void CapabilitiesMustFitInTheFirst256Bytes()
    {
        var c = new PciConfigSpace(Id, PciConfigSpace.ExtendedSize);
        c.AddCapability(0x09, 0xb0);
        Assert.Throws<InvalidOperationException>(() => c.AddCapability(0x09, 0x20));
    }

    [Theory]
    [InlineData(0x00, 1, 0xf4u)]
    [InlineData(0x01, 1, 0x1au)]
    [InlineData(0x02, 2, 0x1041u)]
    [InlineData(0x01, 2, 0x411au)] // unaligned word: the bytes at 1 and 2
    [InlineData(0x0a, 2, 0x0200u)]
    public void ByteWordDwordReads(int offset, int size, uint expected)
    {
        var c = new PciConfigSpace(Id);
        Assert.Equal(expected, Read(c, offset, size));
    }

    [Fact]
    public void AccessesPastTheEndReadAllOnesAndDropWrites()
    {
        var c = new PciConfigSpace(Id);
        Assert.Equal(0xffff_ffffu, Read(c, 0x100, 4));
        Assert.Equal(0xffff_ff00u | c.ReadByte(0xff), Read(c, 0xff, 4));
        Assert.Equal(0xffff_ffffu, Read(c, -4, 4));
        Write(c, 0xfe, 0xffff_ffff, 4);
        Write(c, int.MaxValue - 1, 0xffff_ffff, 4);
    }

    [Fact]
    public void ResetRestoresBuildTimeValues()
    {
        var c = new PciConfigSpace(Id);
        c.DefineBar(0, PciBarKind.Memory32, 0x1000);
        Write(c, 0x10, 0xc000_0000, 4);
        Write(c, 4, 0x7, 2);
        Write(c, 0x3c, 0x0b, 1);
        c.Reset();
        Assert.Equal(0u, Read(c, 0x10, 4));
        Assert.Equal(0u, Read(c, 4, 2));
        Assert.Equal(0u, Read(c, 0x3c, 1));
        Assert.Equal(0x1041_1af4u, Read(c, 0, 4));
    }

    [Fact]
    public void StateRoundTrips()
    {
        var c = new PciConfigSpace(Id);
        c.DefineBar(0, PciBarKind.Memory32, 0x1000);
        Write(c, 0x10, 0xc000_0000, 4);
        var copy = new PciConfigSpace(Id);
        copy.DefineBar(0, PciBarKind.Memory32, 0x1000);
        copy.SetState(c.GetState());
        Assert.Equal(0xc000_0000ul, copy.BarAddress(0));
        Assert.Throws<ArgumentException>(() => copy.SetState(new PciConfigSpaceState(new byte[12])));
    }
}
