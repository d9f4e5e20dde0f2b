using Xenon.Machine.Acpi;
using Xenon.Machine.Acpi.Aml;

namespace Xenon.Machine.Tests.Acpi;

public sealed class AmlEncoderTests
{
    [Theory]
    [InlineData(0UL, new byte[] { 0x00 })]
    [InlineData(1UL, new byte[] { 0x01 })]
    [InlineData(5UL, new byte[] { 0x0a, 0x05 })]
    [InlineData(0x3f8UL, new byte[] { 0x0b, 0xf8, 0x03 })]
    [InlineData(0xfee00000UL, new byte[] { 0x0c, 0x00, 0x00, 0xe0, 0xfe })]
    [InlineData(0x1_0000_0000UL, new byte[] { 0x0e, 0, 0, 0, 0, 1, 0, 0, 0 })]
    [InlineData(ulong.MaxValue, new byte[] { 0xff })]
    public void IntegersUseTheShortestEncoding(ulong value, byte[] expected)
        => Assert.Equal(expected, AmlEncoder.Integer(value));

    [Theory]
    [InlineData(0, new byte[] { 0x01 })]
    [InlineData(62, new byte[] { 0x3f })]
    [InlineData(63, new byte[] { 0x41, 0x04 })]           // 65 = 0x41: low nibble 1, next byte 4
    [InlineData(4093, new byte[] { 0x4f, 0xff })]         // 4095 still fits two bytes
    [InlineData(4094, new byte[] { 0x81, 0x00, 0x01 })]   // 4097 needs three
    public void PackageLengthCountsItself(int content, byte[] expected)
        => Assert.Equal(expected, AmlEncoder.EncodePackageLength(content));

    [Fact]
    public void PackageLengthRejectsOversizeContent()
        => Assert.Throws<ArgumentOutOfRangeException>(() => AmlEncoder.EncodePackageLength(1 << 28));

    [Theory]
    [InlineData("PNP0501", 0x0105d041u)]
    [InlineData("PNP0B00", 0x000bd041u)]
    public void EisaIdMatchesAslCompression(string id, uint expected)
    {
        var bytes = AmlEncoder.EisaId(id);
        Assert.Equal(0x0c, bytes[0]);
        Assert.Equal(expected, BitConverter.ToUInt32(bytes, 1));
    }

    [Theory]
    [InlineData("PNP050")]
    [InlineData("pnp0501")]
    [InlineData("PNP05G1")]
    public void EisaIdRejectsMalformedIds(string id)
        => Assert.Throws<ArgumentException>(() => AmlEncoder.EisaId(id));

    [Theory]
    [InlineData("_HID", new byte[] { 0x5f, 0x48, 0x49, 0x44 })]
    [InlineData("RTC", new byte[] { 0x52, 0x54, 0x43, 0x5f })]
    [InlineData("\\_SB", new byte[] { 0x5c, 0x5f, 0x53, 0x42, 0x5f })]
    [InlineData("\\_SB.PCI0", new byte[] { 0x5c, 0x2e, 0x5f, 0x53, 0x42, 0x5f, 0x50, 0x43, 0x49, 0x30 })]
    [InlineData("^^A.B.C", new byte[] { 0x5e, 0x5e, 0x2f, 3, 0x41, 0x5f, 0x5f, 0x5f, 0x42, 0x5f, 0x5f, 0x5f, 0x43, 0x5f, 0x5f, 0x5f })]
    [InlineData("\\", new byte[] { 0x5c, 0x00 })]
    public void NameStrings(string path, byte[] expected) => Assert.Equal(expected, AmlEncoder.NameString(path));

    [Theory]
    [InlineData("TOOLONG")]
    [InlineData("1ABC")]
    [InlineData("a")]
    [InlineData("\\_SB..X")]
    public void NameStringRejectsBadSegments(string path)
        => Assert.Throws<ArgumentException>(() => AmlEncoder.NameString(path));

    [Fact]
    public void StringRejectsNonAscii() => Assert.Throws<ArgumentException>(() => AmlEncoder.AsciiString("é"));

    [Fact]
    public void DeviceWrapsItsTermsInAPackageLength()
    {
        var dev = AmlEncoder.Device("PEVT", AmlEncoder.Name("_STA", AmlEncoder.Integer(0x0f)));
        byte[] expected = [0x5b, 0x82, 0x0c, (byte)'P', (byte)'E', (byte)'V', (byte)'T', 0x08, (byte)'_', (byte)'S', (byte)'T', (byte)'A', 0x0a, 0x0f];
        Assert.Equal(expected, dev);
    }

    [Fact]
    public void ResourceTemplateEndTagChecksumZeroesTheSum()
    {
        var bytes = new ResourceTemplate().Io(0x3f8, 0x3f8, 1, 8).IrqNoFlags(4).ToBytes();
        Assert.Equal([0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08, 0x22, 0x10, 0x00, 0x79], bytes[..^1]);
        Assert.Equal(0, AcpiTableReader.ByteSum(bytes));
    }

    [Fact]
    public void ResourceTemplateBufferDeclaresItsSize()
    {
        var buffer = new ResourceTemplate().Io(0x70, 0x70, 1, 2).ToAmlBuffer();
        // BufferOp, PkgLength, BytePrefix size 10, then 8 IO bytes + 2 end tag bytes
        Assert.Equal(0x11, buffer[0]);
        Assert.Equal(buffer.Length - 1, buffer[1]);
        Assert.Equal([0x0a, 10], buffer[2..4]);
        Assert.Equal(14, buffer.Length);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(-1)]
    public void IrqOutsideIsaRangeIsRejected(int irq)
        => Assert.Throws<ArgumentOutOfRangeException>(() => new ResourceTemplate().IrqNoFlags(irq));

    [Fact]
    public void IoRangeWithMaximumBelowMinimumIsRejected()
        => Assert.Throws<ArgumentException>(() => new ResourceTemplate().Io(0x10, 0x08, 1, 1));
}

public sealed class ResourceTemplateAddressTests
{
    [Fact]
    public void WordBusNumberIsALargeItemOfThirteenBytes()
    {
        byte[] b = new ResourceTemplate().WordBusNumber(0, 0).ToBytes();
        // tag, length 13, type bus (2), producer + min/max fixed, no type flags, granularity 0, min 0, max 0, offset 0, length 1
        Assert.Equal(new byte[] { 0x88, 13, 0, 2, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0 }, b[..16]);
        Assert.Equal(0x79, b[16]);
    }

    [Fact]
    public void DWordMemoryCarriesMinimumMaximumAndLength()
    {
        byte[] b = new ResourceTemplate().DWordMemory(0xc000_0000, 0xdfff_ffff).ToBytes();
        Assert.Equal(0x87, b[0]);
        Assert.Equal(23, b[1] | b[2] << 8);
        Assert.Equal(0, b[3]);       // memory range
        Assert.Equal(0x0c, b[4]);
        Assert.Equal(0x01, b[5]);    // read-write, non-cacheable
        Assert.Equal(0xc000_0000u, BitConverter.ToUInt32(b, 10));
        Assert.Equal(0xdfff_ffffu, BitConverter.ToUInt32(b, 14));
        Assert.Equal(0x2000_0000u, BitConverter.ToUInt32(b, 22));
    }

    [Fact]
    public void QWordMemoryUsesEightByteFields()
    {
        byte[] b = new ResourceTemplate().QWordMemory(0x1_0000_0000, 0x1_ffff_ffff).ToBytes();
        Assert.Equal(0x8a, b[0]);
        Assert.Equal(43, b[1] | b[2] << 8);
        Assert.Equal(0x1_0000_0000ul, BitConverter.ToUInt64(b, 14));
        Assert.Equal(0x1_0000_0000ul, BitConverter.ToUInt64(b, 38));
    }

    [Fact]
    public void ReversedRangeIsRejected() =>
        Assert.Throws<ArgumentException>(() => new ResourceTemplate().WordIo(0x100, 0xff));
}
