using Xenon.Toolstack.Cli;

namespace Xenon.Toolstack.Tests.Cli;

public class CommandLineTests
{
    private static readonly OptionSpec[] Specs = [new('a'), new('b', "bee"), new('f', "file", "FILE")];

    private static CommandLine Parse(params string[] args) => CommandLine.Parse(args, Specs, "xenon test", "Usage: xenon test");

    [Fact]
    public void BundledFlagsAttachedAndSeparateArguments()
    {
        var cl = Parse("-ab", "-fone", "x", "-f", "two", "--bee", "--file=three", "--file", "four", "y");
        Assert.Equal(["a", "b", "f", "f", "b", "f", "f"], cl.Options.Select(o => o.Short.ToString()));
        Assert.Equal(["one", "two", "three", "four"], cl.Options.Where(o => o.Short == 'f').Select(o => o.Argument!));
        Assert.Equal("four", cl.Value('f'));
        Assert.Equal(["x", "y"], cl.Operands);
        Assert.True(cl.Has('a'));
    }

    [Fact]
    public void DoubleDashEndsOptionsAndLoneDashIsAnOperand()
    {
        var cl = Parse("-a", "-", "--", "-b", "--file=x");
        Assert.Equal(["-", "-b", "--file=x"], cl.Operands);
        Assert.False(cl.Has('b'));
    }

    [Fact]
    public void FlagBundleEndsAtAnOptionTakingAnArgument()
    {
        var cl = Parse("-afb");
        Assert.Equal("b", cl.Value('f'));
        Assert.False(cl.Has('b'));
    }

    [Theory]
    [InlineData(new[] { "-z" }, "xenon test: unknown option '-z'")]
    [InlineData(new[] { "-az" }, "xenon test: unknown option '-z'")]
    [InlineData(new[] { "--zed" }, "xenon test: unknown option '--zed'")]
    [InlineData(new[] { "--bee=1" }, "xenon test: option '--bee' takes no argument")]
    [InlineData(new[] { "-f" }, "xenon test: option '-f' needs an argument (FILE)")]
    [InlineData(new[] { "-a", "--file" }, "xenon test: option '--file' needs an argument (FILE)")]
    [InlineData(new[] { "-\u0001" }, "xenon test: unknown option '-\\x01'")]
    public void BadOptionsAreUsageErrorsWithTheUsageLine(string[] args, string expected)
    {
        var e = Assert.Throws<UsageException>(() => Parse(args));
        Assert.Equal(expected, e.Message);
        Assert.Equal("Usage: xenon test", e.Usage);
    }
}
