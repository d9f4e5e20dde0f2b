using System.Buffers.Binary;
using Xenon.Domain.Migration;

namespace Xenon.Domain.Tests.Migration;

/// <summary>The handshake's frames: what one side writes the other reads, and anything else is refused by field.</summary>
public sealed class MigrationFramingTests
{
    private static byte[] Frame(MigrationFrameType type, string text)
    {
        var s = new MemoryStream();
        MigrationFraming.Write(s, type, text);
        return s.ToArray();
    }

    [Fact]
    public void AFrameRoundTrips()
    {
        var s = new MemoryStream(Frame(MigrationFrameType.Error, "name in use"));
        var frame = MigrationFraming.Read(s);
        Assert.Equal(MigrationFrameType.Error, frame!.Value.Type);
        Assert.Equal("name in use", frame.Value.Text);
        Assert.Null(MigrationFraming.Read(s)); // a clean end
    }

    [Fact]
    public void AnEncodedFrameIsTheFrameWriteSends()
    {
        var encoded = MigrationFraming.Encode(MigrationFrameType.Go, "paused");
        Assert.Equal(Frame(MigrationFrameType.Go, "paused"), encoded);
        var read = MigrationFraming.Read(new MemoryStream(encoded)) ?? throw new InvalidOperationException("no frame read");
        Assert.Equal(MigrationFrameType.Go, read.Type);
        Assert.Equal("paused", read.Text);
    }

    [Fact]
    public void TheReadyBannerCarriesTheProtocolVersion()
    {
        var s = new MemoryStream();
        MigrationFraming.WriteReady(s);
        s.Position = 0;
        Assert.Equal(MigrationFrameType.Ready, MigrationFraming.Expect(s, MigrationFrameType.Ready).Type);
        var bytes = s.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(MigrationFraming.HeaderSize), 7);
        FixCrc(bytes);
        var e = Assert.Throws<MigrationProtocolException>(() => MigrationFraming.Read(new MemoryStream(bytes)));
        Assert.Contains("protocol 7", e.Message);
    }

    [Theory]
    [InlineData(1u)]
    [InlineData(2u)]
    [InlineData(3u)]
    public void AnOlderReceiverIsRefusedByName(uint version)
    {
        // Protocol 1 had no Progress frames (a sender of this build would wait for them for ever); protocol 2 waits for
        // a Go after its Received, where this build sends Go right after End and waits for Running; protocol 3 does not
        // zero its RAM at the memory map, so the pages this build leaves out of the full pass would keep its junk.
        var s = new MemoryStream();
        MigrationFraming.WriteReady(s);
        var bytes = s.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(MigrationFraming.HeaderSize), version);
        FixCrc(bytes);
        var e = Assert.Throws<MigrationProtocolException>(() => MigrationFraming.Read(new MemoryStream(bytes)));
        Assert.Contains($"protocol {version}, this build {MigrationFraming.ProtocolVersion}", e.Message);
    }

    [Fact]
    public void ProgressCarriesTheOffsetAndIsSkippedWhereAnotherFrameIsExpected()
    {
        var s = new MemoryStream();
        MigrationFraming.WriteProgress(s, 0x1_2345_6789);
        MigrationFraming.WriteProgress(s, 0x2_0000_0000);
        MigrationFraming.Write(s, MigrationFrameType.Received, "ok");
        s.Position = 0;
        var progress = MigrationFraming.Read(s)!.Value;
        Assert.Equal(MigrationFrameType.Progress, progress.Type);
        Assert.Equal(0x1_2345_6789L, MigrationFraming.ProgressOffset(progress));
        Assert.Equal("ok", MigrationFraming.Expect(s, MigrationFrameType.Received).Text);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(9)]
    public void AProgressFrameOfAnotherLengthIsRefused(int length)
    {
        var bytes = Frame(MigrationFrameType.Progress, new string('x', length));
        var e = Assert.Throws<MigrationProtocolException>(() => MigrationFraming.Read(new MemoryStream(bytes)));
        Assert.Contains("Progress", e.Message);
        Assert.Contains("8-byte offset", e.Message);
    }

    [Fact]
    public void AProgressOffsetBeyondAnyStreamIsRefused()
    {
        var s = new MemoryStream();
        MigrationFraming.Write(s, MigrationFrameType.Progress, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        var e = Assert.Throws<MigrationProtocolException>(() => MigrationFraming.Read(new MemoryStream(s.ToArray())));
        Assert.Contains("beyond any stream", e.Message);
    }

    [Fact]
    public void AnErrorFrameWhereAnotherIsExpectedIsTheRefusal()
    {
        var e = Assert.Throws<MigrationRefusedException>(() =>
            MigrationFraming.Expect(new MemoryStream(Frame(MigrationFrameType.Error, "no room")), MigrationFrameType.Received));
        Assert.Equal("no room", e.Message);
    }

    [Fact]
    public void AnotherFrameWhereOneIsExpectedIsAProtocolError()
    {
        var e = Assert.Throws<MigrationProtocolException>(() =>
            MigrationFraming.Expect(new MemoryStream(Frame(MigrationFrameType.Running, "")), MigrationFrameType.Received));
        Assert.Contains("expected Received", e.Message);
    }

    [Theory]
    [InlineData(0, "magic")]
    [InlineData(4, "unknown type")]
    [InlineData(6, "reserved")]
    [InlineData(12, "CRC")]
    public void ACorruptFrameIsRefusedByField(int offset, string field)
    {
        var bytes = Frame(MigrationFrameType.Go, "running");
        bytes[offset] ^= 0x40;
        if (offset is 4 or 6) FixCrc(bytes);
        var e = Assert.Throws<MigrationProtocolException>(() => MigrationFraming.Read(new MemoryStream(bytes)));
        Assert.Contains(field, e.Message);
    }

    [Fact]
    public void AnOversizedLengthIsRefusedBeforeAnythingIsRead()
    {
        var bytes = Frame(MigrationFrameType.Go, "running");
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 1 << 30);
        var e = Assert.Throws<MigrationProtocolException>(() => MigrationFraming.Read(new MemoryStream(bytes)));
        Assert.Contains("length", e.Message);
    }

    [Fact]
    public void ATruncatedFrameIsRefused()
    {
        var bytes = Frame(MigrationFrameType.Running, "running");
        foreach (int length in new[] { 3, 11, bytes.Length - 1 })
            Assert.Throws<MigrationProtocolException>(() => MigrationFraming.Read(new MemoryStream(bytes, 0, length)));
    }

    private static void FixCrc(byte[] frame)
    {
        int body = frame.Length - 4;
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(body), Xenon.Domain.Save.Crc32C.Compute(frame.AsSpan(0, body)));
    }
}
