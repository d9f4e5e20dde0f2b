using System.Buffers.Binary;
using Xenon.Domain.Save;

namespace Xenon.Domain.Tests.Save;

/// <summary>Each check of the reader, reached with a stream that is wrong in exactly that way.</summary>
public sealed class SaveStreamErrorTests
{
    private static SaveFormatException Fails(byte[] bytes, SaveReaderLimits? limits = null) =>
        Assert.Throws<SaveFormatException>(() => SaveStreams.ReadAll(bytes, limits));

    private static readonly byte[] Map = SaveStreams.RegionMap((0, 0x10000));

    private static byte[] Pages(uint count, params ulong[] entries)
    {
        int data = entries.Count(e => e >> 60 == 0);
        var p = new byte[8 + 8 * entries.Length + 4096 * data];
        BinaryPrimitives.WriteUInt32LittleEndian(p, count);
        for (int i = 0; i < entries.Length; i++) BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(8 + 8 * i), entries[i]);
        return SaveStreams.RawRecord((uint)SaveRecordType.MemoryPages, p);
    }

    [Fact]
    public void AValidHandFramedStreamReads() =>
        Assert.Equal([SaveRecordType.DomainConfig, SaveRecordType.MemoryRegionMap, SaveRecordType.End],
            SaveStreams.ReadAll(SaveStreams.Concat(SaveStreams.RawHeader(), SaveStreams.Config(), Map, SaveStreams.End(2))));

    [Fact]
    public void BadMagic()
    {
        var e = Fails(SaveStreams.RawHeader(magic: "QEMUSAVE"u8.ToArray()));
        Assert.Equal("magic", e.Field);
        Assert.Equal(0, e.Offset);
        Assert.Contains("QEMUSAVE", e.Message);
    }

    [Fact]
    public void WrongVersion()
    {
        var e = Fails(SaveStreams.RawHeader(version: SaveFormat.Version + 1));
        Assert.Equal("version", e.Field);
        Assert.Equal(8, e.Offset);
        Assert.Equal(-1, e.RecordIndex);
        Assert.Contains("newer Xenon", e.Message);
        Assert.Equal("version", Fails(SaveStreams.RawHeader(version: 0)).Field);
    }

    [Fact]
    public void AVersion1StreamIsStillRead()
    {
        var v1 = SaveStreams.Concat(SaveStreams.RawHeader(version: 1), SaveStreams.Config(), Map, SaveStreams.End(2));
        using var reader = new SaveStreamReader(new MemoryStream(v1));
        while (reader.TryReadRecord(out _)) { }
        Assert.Equal(1u, reader.FormatVersion);
    }

    [Fact]
    public void UnknownMustUnderstandFlagsAndReservedHeaderBits()
    {
        Assert.Equal("flags", Fails(SaveStreams.RawHeader(flags: 1u << 16)).Field);
        Assert.Equal("reserved", Fails(SaveStreams.RawHeader(reserved: 1)).Field);
        // Unknown informational flags are ignored.
        var ok = SaveStreams.Concat(SaveStreams.RawHeader(flags: 1u << 7), SaveStreams.Config(), Map, SaveStreams.End(2));
        Assert.Equal(3, SaveStreams.ReadAll(ok).Count);
    }

    [Fact]
    public void HeaderCrcMismatch()
    {
        var h = SaveStreams.RawHeader();
        h[20] ^= 0x10; // inside the uuid, which only the CRC protects
        var e = Fails(h);
        Assert.Equal("header crc", e.Field);
        Assert.Equal(h.Length - 4, e.Offset);
    }

    [Fact]
    public void InvalidUtf8Name()
    {
        var h = SaveStreams.RawHeader("ab");
        h[SaveFormat.HeaderFixedSize] = 0xc3;
        h[SaveFormat.HeaderFixedSize + 1] = 0x28;
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(h.Length - 4), Crc32C.Compute(h.AsSpan(0, h.Length - 4)));
        Assert.Equal("name", Fails(h).Field);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(30)]
    [InlineData(45)]
    public void TruncatedHeader(int length)
    {
        var e = Fails(SaveStreams.RawHeader()[..length]);
        Assert.Contains("truncated", e.Message);
        Assert.Equal(-1, e.RecordIndex);
    }

    [Fact]
    public void TruncatedRecordsNameWhereTheyEnd()
    {
        var full = SaveStreams.Concat(SaveStreams.RawHeader(), SaveStreams.Config(), Map, SaveStreams.End(2));
        int headerLength = SaveStreams.RawHeader().Length;
        var noEnd = Fails(full[..(full.Length - SaveStreams.End(2).Length)]);
        Assert.Contains("before its End record", noEnd.Message);
        var midHeader = Fails(full[..(headerLength + 9)]);
        Assert.Equal("record header", midHeader.Field);
        var midPayload = Fails(full[..(headerLength + 20)]);
        Assert.Equal("payload", midPayload.Field);
        Assert.Equal(SaveRecordType.DomainConfig, midPayload.RecordType);
        Assert.Contains($"offset {headerLength}", midPayload.Message);
        var midCrc = Fails(full[..(headerLength + SaveStreams.Config().Length - 2)]);
        Assert.Equal("crc", midCrc.Field);
    }

    [Fact]
    public void RecordCrcMismatch()
    {
        var config = SaveStreams.Config();
        config[20] ^= 0x01;
        var e = Fails(SaveStreams.Concat(SaveStreams.RawHeader(), config));
        Assert.Equal("crc", e.Field);
        Assert.Equal(0, e.RecordIndex);
        Assert.Contains("corrupt", e.Message);
    }

    [Fact]
    public void OversizedLengthIsRefusedBeforeAnythingIsRead()
    {
        var huge = SaveStreams.RawRecord((uint)SaveRecordType.DomainConfig, [], length: 1UL << 40);
        var e = Fails(SaveStreams.Concat(SaveStreams.RawHeader(), huge));
        Assert.Equal("length", e.Field);
        Assert.Contains("oversized", e.Message);
        var limited = Fails(SaveStreams.Concat(SaveStreams.RawHeader(), SaveStreams.Config()), new SaveReaderLimits(MaxRecordLength: 8));
        Assert.Equal("length", limited.Field);
    }

    [Fact]
    public void UnknownCriticalRecord()
    {
        var e = Fails(SaveStreams.Concat(SaveStreams.RawHeader(), SaveStreams.Config(), SaveStreams.RawRecord(0x42, [1])));
        Assert.Equal("type", e.Field);
        Assert.Contains("not optional", e.Message);
        Assert.Equal(1, e.RecordIndex);
    }

    [Fact]
    public void ReservedRecordBits() =>
        Assert.Equal("reserved", Fails(SaveStreams.Concat(SaveStreams.RawHeader(), SaveStreams.RawRecord(1, SaveStreams.ConfigJson, reserved: 1))).Field);

    [Fact]
    public void OrderRules()
    {
        var h = SaveStreams.RawHeader();
        Assert.Contains("first record must be DomainConfig", Fails(SaveStreams.Concat(h, Map)).Message);
        Assert.Contains("second DomainConfig", Fails(SaveStreams.Concat(h, SaveStreams.Config(), SaveStreams.Config())).Message);
        Assert.Contains("before the MemoryRegionMap", Fails(SaveStreams.Concat(h, SaveStreams.Config(), Pages(1, 1UL << 60))).Message);
        Assert.Contains("second MemoryRegionMap", Fails(SaveStreams.Concat(h, SaveStreams.Config(), Map, Map)).Message);
        Assert.Contains("End before any MemoryRegionMap", Fails(SaveStreams.Concat(h, SaveStreams.Config(), SaveStreams.End(1))).Message);
        var vcpu = SaveStreams.RawRecord((uint)SaveRecordType.VcpuState, new byte[8]);
        Assert.Contains("second state record", Fails(SaveStreams.Concat(h, SaveStreams.Config(), vcpu, vcpu)).Message);
        var platform = SaveStreams.RawRecord((uint)SaveRecordType.PlatformState, []);
        Assert.Contains("second PlatformState", Fails(SaveStreams.Concat(h, SaveStreams.Config(), platform, platform)).Message);
    }

    [Fact]
    public void TrailingBytesAfterEnd()
    {
        var e = Fails(SaveStreams.Concat(SaveStreams.RawHeader(), SaveStreams.Config(), Map, SaveStreams.End(2), [0]));
        Assert.Equal("end of stream", e.Field);
    }

    [Fact]
    public void EndTotalsCatchADroppedRecord()
    {
        var vcpu = SaveStreams.RawRecord((uint)SaveRecordType.VcpuState, new byte[8]);
        var e = Fails(SaveStreams.Concat(SaveStreams.RawHeader(), SaveStreams.Config(), Map, SaveStreams.End(3)));
        Assert.Equal("total records", e.Field);
        Assert.Contains("missing", e.Message);
        Assert.Equal(3, SaveStreams.ReadAll(SaveStreams.Concat(SaveStreams.RawHeader(), SaveStreams.Config(), Map, vcpu, SaveStreams.End(3))).Count - 1);
        Assert.Equal("total zero pages", Fails(SaveStreams.Concat(SaveStreams.RawHeader(), SaveStreams.Config(), Map, Pages(1, 1UL << 60), SaveStreams.End(3))).Field);
        Assert.Equal("length", Fails(SaveStreams.Concat(SaveStreams.RawHeader(), SaveStreams.Config(), Map,
            SaveStreams.RawRecord((uint)SaveRecordType.End, new byte[23]))).Field);
    }

    [Fact]
    public void MalformedPayloads()
    {
        byte[] Stream(params byte[][] records) => SaveStreams.Concat([SaveStreams.RawHeader(), SaveStreams.Config(), .. records]);
        string Field(params byte[][] records) => Fails(Stream(records)).Field;

        Assert.Equal("json", Fails(SaveStreams.Concat(SaveStreams.RawHeader(), SaveStreams.RawRecord(1, "[1,2]"u8))).Field);
        Assert.Equal("json", Fails(SaveStreams.Concat(SaveStreams.RawHeader(), SaveStreams.RawRecord(1, "{\"a\":"u8))).Field);
        Assert.Equal("json", Fails(SaveStreams.Concat(SaveStreams.RawHeader(), SaveStreams.RawRecord(1, "{} x"u8))).Field);

        Assert.Equal("regions", Field(SaveStreams.RegionMap((0x800, 0x1000))));
        Assert.Equal("regions", Field(SaveStreams.RegionMap((0x10000, 0x1000), (0, 0x1000))));
        Assert.Equal("regions", Field(SaveStreams.RegionMap((0, 0x2000), (0x1000, 0x1000))));
        Assert.Equal("regions", Field(SaveStreams.RegionMap((1UL << 52, 0x1000))));
        Assert.Equal("region count", Field(SaveStreams.RegionMap()));
        Assert.Equal("length", Field(SaveStreams.RawRecord(2, [1, 0, 0, 0, 0, 0, 0, 0])));

        Assert.Equal("page count", Field(Map, Pages(0)));
        Assert.Equal("page count", Field(Map, Pages(3, 1UL << 60)));
        Assert.Equal("page entry", Field(Map, Pages(1, (1UL << 60) | 0x10)));          // pfn 16 is past the 64 KiB region
        Assert.Equal("page entry", Field(Map, Pages(1, 2UL << 60)));                    // unknown kind
        Assert.Equal("page entry", Field(Map, Pages(1, (1UL << 60) | (1UL << 55))));    // reserved bits
        var shortData = Pages(1, 0);
        Assert.Equal("length", Field(Map, SaveStreams.RawRecord(3, shortData.AsSpan(16, shortData.Length - 16 - 4 - 1))));

        Assert.Equal("vcpu index", Field(SaveStreams.RawRecord(4, new byte[4])));
        Assert.Equal("vcpu index", Field(SaveStreams.RawRecord(4, [0, 0x10, 0, 0, 0, 0, 0, 0])));
        Assert.Equal("reserved", Field(SaveStreams.RawRecord(4, [0, 0, 0, 0, 1, 0, 0, 0])));

        Assert.Equal("device id length", Field(SaveStreams.RawRecord(6, [0, 0])));
        Assert.Equal("device id length", Field(SaveStreams.RawRecord(6, [5, 0, (byte)'a'])));
        Assert.Equal("device id", Field(SaveStreams.RawRecord(6, [2, 0, (byte)'a', (byte)' '])));
        var twice = SaveStreams.RawRecord(6, [1, 0, (byte)'a']);
        Assert.Contains("second state record", Fails(Stream(twice, twice)).Message);
    }
}
