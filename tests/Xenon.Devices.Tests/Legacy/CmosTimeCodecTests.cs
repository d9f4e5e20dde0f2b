using Xenon.Devices.Legacy.Rtc;

namespace Xenon.Devices.Tests.Legacy;

public sealed class CmosTimeCodecTests
{
    [Theory]
    [InlineData((byte)0x02)]
    [InlineData((byte)0x06)]
    [InlineData((byte)0x00)]
    [InlineData((byte)0x04)]
    public void EncodeThenDecodeIsIdentityInEveryFormat(byte regB)
    {
        var cmos = new byte[128];
        foreach (var t in new[] { new DateTime(2000, 1, 1, 0, 0, 0), new DateTime(2024, 2, 29, 12, 30, 59), new DateTime(2099, 12, 31, 23, 59, 58) })
        {
            CmosTimeCodec.Encode(t, regB, cmos);
            Assert.True(CmosTimeCodec.TryDecode(cmos, regB, out var back), $"{t:o} in format 0x{regB:x2}");
            Assert.Equal(t, back);
        }
    }

    [Theory]
    [InlineData(0x00, 0x5a)] // seconds: BCD nibble above 9
    [InlineData(0x00, 0x60)] // seconds: 60
    [InlineData(0x04, 0x24)] // hour 24
    [InlineData(0x07, 0x00)] // day 0
    [InlineData(0x07, 0x30)] // 30 February
    [InlineData(0x08, 0x00)] // month 0
    [InlineData(0x09, 0xa0)] // year: bad BCD
    [InlineData(0x32, 0xff)] // century: bad BCD
    public void MalformedBcdFieldsAreRejected(int register, byte value)
    {
        var cmos = new byte[128];
        CmosTimeCodec.Encode(new DateTime(2023, 2, 10, 10, 10, 10), 0x02, cmos);
        cmos[register] = value;
        Assert.False(CmosTimeCodec.TryDecode(cmos, 0x02, out _), $"register 0x{register:x2} = 0x{value:x2} must not decode");
    }

    [Fact]
    public void TwelveHourFieldsOutOfRangeAreRejected()
    {
        var cmos = new byte[128];
        CmosTimeCodec.Encode(new DateTime(2023, 2, 10, 10, 10, 10), 0x00, cmos);
        cmos[0x04] = 0x00; // hour 0 does not exist on a 12-hour clock
        Assert.False(CmosTimeCodec.TryDecode(cmos, 0x00, out _));
        cmos[0x04] = 0x93; // 13 PM
        Assert.False(CmosTimeCodec.TryDecode(cmos, 0x00, out _));
    }

    [Fact]
    public void YearZeroIsRejected()
    {
        var cmos = new byte[128];
        CmosTimeCodec.Encode(new DateTime(2023, 2, 10), 0x02, cmos);
        cmos[0x09] = 0x00;
        cmos[0x32] = 0x00;
        Assert.False(CmosTimeCodec.TryDecode(cmos, 0x02, out _));
    }
}
