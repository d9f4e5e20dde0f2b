using System.Buffers.Binary;
using Xenon.Machine.State;

namespace Xenon.Machine.Tests.State;

public sealed class PlatformStateCodecTests
{
    [Fact]
    public void EveryFieldSurvivesARoundTrip()
    {
        var original = StateSamples.Platform();
        var bytes = PlatformStateCodec.Encode(original);
        var decoded = PlatformStateCodec.Decode(bytes);

        Assert.Equal(original.PicMaster, decoded.PicMaster);
        Assert.Equal(original.PicSlave, decoded.PicSlave);
        Assert.Equal((original.Ioapic.BaseAddress, original.Ioapic.IoRegSel, original.Ioapic.Id, original.Ioapic.Irr),
            (decoded.Ioapic.BaseAddress, decoded.Ioapic.IoRegSel, decoded.Ioapic.Id, decoded.Ioapic.Irr));
        Assert.Equal(original.Ioapic.Redirection, decoded.Ioapic.Redirection);
        Assert.Equal(original.Pit.Channels, decoded.Pit.Channels);
        Assert.Equal(original.Pit.Flags, decoded.Pit.Flags);
        Assert.Equal(original.ClockNs, decoded.ClockNs);
        Assert.Equal(bytes, PlatformStateCodec.Encode(decoded));
    }

    [Fact]
    public void EveryTruncationIsRefused()
    {
        var bytes = PlatformStateCodec.Encode(StateSamples.Platform());
        for (int length = 0; length < bytes.Length; length++)
            Assert.Contains("truncated", Assert.Throws<StateFormatException>(() => PlatformStateCodec.Decode(bytes.AsSpan(0, length))).Message);
    }

    [Fact]
    public void AnotherVersionIsRefused()
    {
        var bytes = PlatformStateCodec.Encode(StateSamples.Platform());
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), 9);
        Assert.Contains("'version'", Assert.Throws<StateFormatException>(() => PlatformStateCodec.Decode(bytes)).Message);
    }

    [Fact]
    public void AWrongPinCountIsRefused()
    {
        var bytes = PlatformStateCodec.Encode(StateSamples.Platform());
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8 + 32 + 20), 1000);
        Assert.Contains("'ioapic.pins'", Assert.Throws<StateFormatException>(() => PlatformStateCodec.Decode(bytes)).Message);
    }

    [Fact]
    public void AWrongPitChannelCountIsRefused()
    {
        var bytes = PlatformStateCodec.Encode(StateSamples.Platform());
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(PitOffset), 4);
        Assert.Contains("'pit.channels'", Assert.Throws<StateFormatException>(() => PlatformStateCodec.Decode(bytes)).Message);
    }

    [Fact]
    public void APitCountAboveTheI8254sRangeIsRefused()
    {
        var bytes = PlatformStateCodec.Encode(StateSamples.Platform());
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(PitOffset + 4), 0x10001);
        Assert.Contains("'pit.count'", Assert.Throws<StateFormatException>(() => PlatformStateCodec.Decode(bytes)).Message);
    }

    [Fact]
    public void AnUnknownPitModeIsRefused()
    {
        var bytes = PlatformStateCodec.Encode(StateSamples.Platform());
        bytes[PitOffset + 4 + 4 + 2 + 7] = 6; // channel 0: count, latched count, then mode is the 8th byte
        Assert.Contains("'pit.mode'", Assert.Throws<StateFormatException>(() => PlatformStateCodec.Decode(bytes)).Message);
    }

    [Fact]
    public void TrailingBytesAreRefused()
    {
        var bytes = PlatformStateCodec.Encode(StateSamples.Platform());
        Assert.Contains("trailing", Assert.Throws<StateFormatException>(() => PlatformStateCodec.Decode([.. bytes, 1, 2])).Message);
    }

    // header 8, two PICs 32, IOAPIC (base 8, ioregsel, id, irr, pin count 4 each) 24 + 24 entries
    private const int PitOffset = 8 + 32 + 24 + 24 * 8;
}
