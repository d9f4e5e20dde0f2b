using Xenon.Toolstack.Config;

namespace Xenon.Toolstack.Tests.Config;

public class XlNumberTests
{
    [Theory]
    [InlineData("0", 0)]
    [InlineData("512", 512)]
    [InlineData("0x200", 512)]
    [InlineData("0X1f", 31)]
    [InlineData("010", 8)]
    [InlineData("-3", -3)]
    [InlineData("+7", 7)]
    [InlineData("9223372036854775807", long.MaxValue)]
    [InlineData("-9223372036854775808", long.MinValue)]
    public void ParsesLikeStrtolBaseZero(string text, long expected)
    {
        Assert.True(XlNumber.TryParse(text, out var value), text);
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("lots")]
    [InlineData("512M")]
    [InlineData("1.5")]
    [InlineData("08")]
    [InlineData("0x")]
    [InlineData("0xg")]
    [InlineData(" 5")]
    [InlineData("5 ")]
    [InlineData("9223372036854775808")]
    [InlineData("0x10000000000000000")]
    [InlineData("01777777777777777777777777")]
    public void RefusesAnythingElse(string text)
    {
        Assert.False(XlNumber.TryParse(text, out _), $"\"{text}\" should not parse");
    }
}
