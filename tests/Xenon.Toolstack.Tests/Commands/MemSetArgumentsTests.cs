using Xenon.Toolstack.Commands;

namespace Xenon.Toolstack.Tests.Commands;

public sealed class MemSetArgumentsTests
{
    [Theory]
    [InlineData("256", 256ul)]
    [InlineData("256m", 256ul)]
    [InlineData("256M", 256ul)]
    [InlineData("1g", 1024ul)]
    [InlineData("2G", 2048ul)]
    [InlineData("262144k", 256ul)]
    [InlineData("1t", 1048576ul)]
    public void SizesAreReadAsXlReadsThem(string text, ulong mib) => Assert.Equal(mib, DomainControlCommands.ParseMemoryMiB(text));

    [Theory]
    [InlineData("")]
    [InlineData("m")]
    [InlineData("-5")]
    [InlineData("12x")]
    [InlineData("1.5g")]
    [InlineData("99999999999999999999")]
    [InlineData("18446744073709551615t")]
    public void MalformedSizesAreRefused(string text) => Assert.Null(DomainControlCommands.ParseMemoryMiB(text));

    [Fact]
    public void WrongArgumentsPrintUsage()
    {
        var err = new StringWriter();
        Assert.Equal(1, DomainControlCommands.MemSet(["only-one"], err));
        Assert.Contains("Usage: xenon mem-set", err.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void BadSizeIsNamed()
    {
        var err = new StringWriter();
        Assert.Equal(1, DomainControlCommands.MemSet(["web", "lots"], err));
        Assert.Contains("invalid memory size \"lots\"", err.ToString(), StringComparison.Ordinal);
    }
}
