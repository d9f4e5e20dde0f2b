using Xenon.Toolstack.Config;

namespace Xenon.Toolstack.Tests.Config;

public class XlConfigParserTests
{
    private static XlConfig Parse(string text) => XlConfigParser.Parse(text, "t.cfg");

    [Fact]
    public void ReadsEveryValueKindWithLineNumbers()
    {
        var cfg = Parse("""
            # a comment line

            name = "web"
            memory = 512
            kernel = '/boot/vmlinuz'
            disk = [ 'file:/a.img,xvda,w', "file:/b.img,xvdb,r" ]
            """);

        Assert.Equal(["name", "memory", "kernel", "disk"], cfg.Settings.Select(s => s.Key));
        Assert.Equal([3, 4, 5, 6], cfg.Settings.Select(s => s.Line));
        Assert.Equal(ConfigValueKind.String, cfg.Find("name")!.Value.Kind);
        Assert.Equal("web", cfg.GetString("name"));
        Assert.Equal(ConfigValueKind.Number, cfg.Find("memory")!.Value.Kind);
        Assert.Equal("512", cfg.GetString("memory"));
        Assert.Equal("/boot/vmlinuz", cfg.GetString("kernel"));
        Assert.Equal(["file:/a.img,xvda,w", "file:/b.img,xvdb,r"], cfg.GetStringList("disk")!);
        Assert.All(cfg.Settings, s => Assert.Equal("t.cfg", s.Source));
    }

    [Fact]
    public void SemicolonsSeparateSettingsOnOneLine()
    {
        var cfg = Parse("a = 1; b = \"x\" ;c=[]");
        Assert.Equal(["a", "b", "c"], cfg.Settings.Select(s => s.Key));
        Assert.All(cfg.Settings, s => Assert.Equal(1, s.Line));
        Assert.Empty(cfg.Find("c")!.Value.Items);
    }

    [Fact]
    public void CommentsEndAtTheNewlineEvenAfterAValue()
    {
        var cfg = Parse("a = 1 # one\n#b = 2\nc = 'x#y' # the hash inside quotes is text");
        Assert.Equal(["a", "c"], cfg.Settings.Select(s => s.Key));
        Assert.Equal("x#y", cfg.GetString("c"));
    }

    [Fact]
    public void ListsSpanLinesAllowTrailingCommaCommentsAndNesting()
    {
        var cfg = Parse("""
            vif = [
                'bridge=br0', # first
                'bridge=br1',
            ]
            nested = [ [1, 2], [], "s" ]
            after = 1
            """);
        Assert.Equal(["bridge=br0", "bridge=br1"], cfg.GetStringList("vif")!);
        Assert.Equal(1, cfg.Find("vif")!.Line);
        var nested = cfg.Find("nested")!.Value;
        Assert.Equal(3, nested.Items.Count);
        Assert.Equal(["1", "2"], nested.Items[0].Items.Select(i => i.Text));
        Assert.Empty(nested.Items[1].Items);
        Assert.Equal(6, cfg.Find("after")!.Line);
    }

    [Fact]
    public void StringEscapesAreDecoded()
    {
        var cfg = Parse("""
            a = "tab\there\nnl \\ \" \' \x41\101\7"
            b = 'single \'quoted\' "ok"'
            """);
        Assert.Equal("tab\there\nnl \\ \" ' AA\a", cfg.GetString("a"));
        Assert.Equal("single 'quoted' \"ok\"", cfg.GetString("b"));
    }

    [Fact]
    public void LaterSettingsOverrideEarlierButAllAreKept()
    {
        var cfg = Parse("memory = 256\nname = 'a'\nmemory = 1024\n");
        Assert.Equal("1024", cfg.GetString("memory"));
        Assert.Equal(3, cfg.Find("memory")!.Line);
        Assert.Equal(3, cfg.Settings.Count);
        Assert.Equal(["memory", "name"], cfg.Effective().Select(s => s.Key));
        Assert.Equal("1024", cfg.Effective()[0].Value.Text);
    }

    [Fact]
    public void PlusEqualsConcatenatesStringsAndAppendsLists()
    {
        var cfg = Parse("""
            extra = "console=ttyS0"
            extra += " quiet"
            disk = [ 'a' ]
            disk += [ 'b', 'c' ]
            fresh += "first"
            """);
        Assert.Equal("console=ttyS0 quiet", cfg.GetString("extra"));
        Assert.True(cfg.Find("extra")!.IsAppend);
        Assert.Equal(["a", "b", "c"], cfg.GetStringList("disk")!);
        Assert.Equal("first", cfg.GetString("fresh"));
    }

    [Fact]
    public void KeysMayUseUpperCaseDigitsAndUnderscores()
    {
        var cfg = Parse("_Key_2 = 1\nON_crash='x'");
        Assert.Equal("1", cfg.GetString("_Key_2"));
        Assert.Equal("x", cfg.GetString("ON_crash"));
        Assert.Null(cfg.GetString("on_crash"));
    }

    [Fact]
    public void CrLfLineEndingsAndNoFinalNewlineAreAccepted()
    {
        var cfg = Parse("a = 1\r\nb = 'x'\r\nc = 3");
        Assert.Equal(["1", "x", "3"], cfg.Settings.Select(s => s.Value.Text));
        Assert.Equal(3, cfg.Find("c")!.Line);
    }

    [Fact]
    public void EmptyAndCommentOnlyInputHasNoSettings()
    {
        Assert.Empty(Parse("").Settings);
        Assert.Empty(Parse("\n\n # nothing\n;;\n").Settings);
    }

    [Fact]
    public void OverridesAreParsedAfterTheFileWithCommandLineSource()
    {
        var cfg = Parse("memory = 256\nextra = 'console=hvc0'\n");
        XlConfigParser.ApplyOverrides(cfg, ["memory=512", "extra+=\" quiet\"", "vcpus=2; maxvcpus=4"]);

        Assert.Equal("512", cfg.GetString("memory"));
        Assert.Equal(XlConfigParser.CommandLineSource, cfg.Find("memory")!.Source);
        Assert.Equal(1, cfg.Find("memory")!.Line);
        Assert.Equal("console=hvc0 quiet", cfg.GetString("extra"));
        Assert.Equal(2, cfg.Find("extra")!.Line);
        Assert.Equal(3, cfg.Find("maxvcpus")!.Line);
        Assert.Equal("t.cfg", cfg.Settings[0].Source);
    }

    [Fact]
    public void ValuesPrintBackAsParseableConfigText()
    {
        var cfg = Parse("a = [ \"x\\ty\", 12, [ 'q\"' ] ]");
        var text = cfg.Find("a")!.Value.ToString();
        Assert.Equal("[\"x\\ty\", 12, [\"q\\\"\"]]", text);
        var again = Parse("a = " + text);
        Assert.Equal(text, again.Find("a")!.Value.ToString());
    }

    [Fact]
    public void ParseFileReadsTheFileAndNamesItInSettings()
    {
        using var dir = new TempConfigDir();
        var path = dir.File("dom.cfg", "name='x'\n");
        var cfg = XlConfigParser.ParseFile(path);
        Assert.Equal(path, cfg.Find("name")!.Source);
    }
}
