using Xenon.Toolstack.Config;

namespace Xenon.Toolstack.Tests.Config;

public class XlConfigParserErrorTests
{
    private static ConfigException Fails(string text, string source = "foo.cfg") =>
        Assert.Throws<ConfigException>(() => XlConfigParser.Parse(text, source));

    [Theory]
    [InlineData("name = \"web\n", "foo.cfg:1: syntax error: unterminated string")]
    [InlineData("a = 1\n\nname = 'web", "foo.cfg:3: syntax error: unterminated string")]
    [InlineData("a = 'ends in backslash\\", "foo.cfg:1: syntax error: unterminated string")]
    [InlineData("a = 'escaped newline\\\n'", "foo.cfg:1: syntax error: unterminated string")]
    [InlineData("a = 1\ndisk = [ 'a',\n 'b'\n", "foo.cfg:2: syntax error: unterminated list (missing ']')")]
    [InlineData("disk = [", "foo.cfg:1: syntax error: unterminated list (missing ']')")]
    [InlineData("memory 512", "foo.cfg:1: syntax error: expected '=' after memory, got number 512")]
    [InlineData("memory\nname='x'", "foo.cfg:1: syntax error: expected '=' after memory, got end of line")]
    [InlineData("memory =", "foo.cfg:1: syntax error: expected a value for memory, got end of input")]
    [InlineData("memory = \n512", "foo.cfg:1: syntax error: expected a value for memory, got end of line")]
    [InlineData("type = pvh", "foo.cfg:1: syntax error: value of type must be a quoted string, a number or a [list], got 'pvh' (quote it: \"pvh\")")]
    [InlineData("kernel = /boot/vmlinuz", "foo.cfg:1: syntax error: unexpected character '/' (string values must be quoted)")]
    [InlineData("a = 1 2", "foo.cfg:1: syntax error: expected ';' or end of line after the value of a, got number 2")]
    [InlineData("a = 'x' 'y'", "foo.cfg:1: syntax error: expected ';' or end of line after the value of a, got string \"y\"")]
    [InlineData("= 3", "foo.cfg:1: syntax error: expected a setting name, got '='")]
    [InlineData("5 = 3", "foo.cfg:1: syntax error: expected a setting name, got number 5")]
    [InlineData("disk = [ 'a' 'b' ]", "foo.cfg:1: syntax error: expected ',' or ']' in the list for disk, got string \"b\"")]
    [InlineData("disk = [ , ]", "foo.cfg:1: syntax error: expected a value for disk, got ','")]
    [InlineData("disk = [ 'a',, ]", "foo.cfg:1: syntax error: expected a value for disk, got ','")]
    [InlineData("a = ]", "foo.cfg:1: syntax error: expected a value for a, got ']'")]
    [InlineData("a = 'bad \\q escape'", "foo.cfg:1: syntax error: invalid escape '\\q' in string")]
    [InlineData("a = '\\x4'", "foo.cfg:1: syntax error: \\x must be followed by two hex digits")]
    [InlineData("a = '\\xZZ'", "foo.cfg:1: syntax error: \\x must be followed by two hex digits")]
    [InlineData("a = '\\x00'", "foo.cfg:1: syntax error: escape produces a NUL character")]
    [InlineData("a = '\\0'", "foo.cfg:1: syntax error: escape produces a NUL character")]
    [InlineData("a = '\\xff'", "foo.cfg:1: syntax error: escape for byte 0xff is not ASCII; write the character itself (files are UTF-8)")]
    [InlineData("a = '\\377'", "foo.cfg:1: syntax error: escape for byte 0xff is not ASCII; write the character itself (files are UTF-8)")]
    [InlineData("a = 'nul\0inside'", "foo.cfg:1: syntax error: NUL character in string")]
    [InlineData("a = 1\n\u0001", "foo.cfg:2: syntax error: unexpected character '\\x01'")]
    [InlineData("a = +1", "foo.cfg:1: syntax error: unexpected character '+'")]
    [InlineData("a = -1", "foo.cfg:1: syntax error: unexpected character '-' (string values must be quoted)")]
    [InlineData("a = 'x'\na += [ 'y' ]", "foo.cfg:2: a: can't add a [list] to a \"string\" or vice versa")]
    public void SyntaxErrorsNameFileLineAndProblem(string text, string expected)
    {
        Assert.Equal(expected, Fails(text).Message);
    }

    [Fact]
    public void ErrorCarriesStructuredFields()
    {
        var e = Fails("a = 1\nb = 'x");
        Assert.Equal("foo.cfg", e.ConfigSource);
        Assert.Equal(2, e.Line);
        Assert.Null(e.Key);
        Assert.Equal("syntax error: unterminated string", e.Reason);
    }

    [Fact]
    public void DeeplyNestedListsAreRefusedNotAStackOverflow()
    {
        var text = "a = " + new string('[', 100_000);
        Assert.Equal("foo.cfg:1: syntax error: lists nested more than 64 deep", Fails(text).Message);

        var value = XlConfigParser.Parse("a = " + new string('[', 64) + new string(']', 64), "x").Find("a")!.Value;
        var depth = 1;
        for (; value.Items.Count == 1; depth++)
        {
            value = value.Items[0];
        }

        Assert.Equal(64, depth);
    }

    [Fact]
    public void OverrideErrorsNameTheCommandLineAndTheArgumentPosition()
    {
        var cfg = XlConfigParser.Parse("name = 'x'", "foo.cfg");
        var e = Assert.Throws<ConfigException>(() => XlConfigParser.ApplyOverrides(cfg, ["memory=512", "extra=\"unterminated"]));
        Assert.Equal("<command line>:2: syntax error: unterminated string", e.Message);
    }

    [Fact]
    public void UnreadableFileIsAConfigError()
    {
        using var dir = new TempConfigDir();
        var path = Path.Combine(dir.Path, "missing.cfg");
        var e = Assert.Throws<ConfigException>(() => XlConfigParser.ParseFile(path));
        Assert.Equal($"{path}: cannot read configuration file: no such file", e.Message);
    }

    [Fact]
    public void TypedReadsReportKeyAndLine()
    {
        var cfg = XlConfigParser.Parse("memory = \"lots\"\nvcpus = [1]\ndisk = 'x'\ncpu = 5\ncpu += 1\nn = [ [ 'a' ] ]", "foo.cfg");
        Assert.Equal("foo.cfg:1: memory: expected a number, got \"lots\"",
            Assert.Throws<ConfigException>(() => cfg.GetInteger("memory", 1, 10)).Message);
        Assert.Equal("foo.cfg:2: vcpus: expected a number, got a list",
            Assert.Throws<ConfigException>(() => cfg.GetInteger("vcpus", 1, 10)).Message);
        Assert.Equal("foo.cfg:2: vcpus: expected a single value, got a list",
            Assert.Throws<ConfigException>(() => cfg.GetString("vcpus")).Message);
        Assert.Equal("foo.cfg:3: disk: expected a list [ ... ], got a single value",
            Assert.Throws<ConfigException>(() => cfg.GetStringList("disk")).Message);
        Assert.Equal("foo.cfg:5: cpu: can't use += with numbers",
            Assert.Throws<ConfigException>(() => cfg.GetInteger("cpu", 0, 100)).Message);
        Assert.Equal("foo.cfg:6: n: item 1 is a list; expected a single value",
            Assert.Throws<ConfigException>(() => cfg.GetStringList("n")).Message);
    }
}
