using Xenon.Toolstack.Cli;

namespace Xenon.Toolstack.Tests.Cli;

public class CreateOptionsTests
{
    [Fact]
    public void ConfigFileAndOverrides()
    {
        var o = CreateOptions.Parse(["foo.cfg", "memory=512", "extra=\"quiet\""]);
        Assert.Equal("foo.cfg", o.ConfigFile);
        Assert.Equal(["memory=512", "extra=\"quiet\""], o.Overrides);
        Assert.False(o.DryRun || o.Foreground || o.Console || o.Quiet || o.Paused || o.Debug || o.NoMonitor || o.Help);
    }

    [Fact]
    public void EveryFlag()
    {
        var o = CreateOptions.Parse(["-Fcnq", "-p", "-d", "-e", "foo.cfg"]);
        Assert.True(o.Foreground && o.Console && o.DryRun && o.Quiet && o.Paused && o.Debug && o.NoMonitor);
        Assert.False(o.Help);
    }

    [Fact]
    public void LongFormsAndOptionsAfterTheFile()
    {
        var o = CreateOptions.Parse(["vcpus=2", "--defconfig=foo.cfg", "--dryrun", "--quiet", "memory=1"]);
        Assert.Equal("foo.cfg", o.ConfigFile);
        Assert.True(o.DryRun && o.Quiet);
        Assert.Equal(["vcpus=2", "memory=1"], o.Overrides);
    }

    [Fact]
    public void DashFGivesTheFileAndOperandsWithEqualsAreOverrides()
    {
        var o = CreateOptions.Parse(["-f", "a=b.cfg", "name='x'"]);
        Assert.Equal("a=b.cfg", o.ConfigFile);
        Assert.Equal(["name='x'"], o.Overrides);
    }

    [Fact]
    public void HelpNeedsNoFile()
    {
        Assert.True(CreateOptions.Parse(["-h"]).Help);
        Assert.Null(CreateOptions.Parse(["--help"]).ConfigFile);
    }

    [Theory]
    [InlineData(new string[0], "xenon create: no configuration file given")]
    [InlineData(new[] { "-n" }, "xenon create: no configuration file given")]
    [InlineData(new[] { "memory=1" }, "xenon create: no configuration file given")]
    [InlineData(new[] { "-x", "foo.cfg" }, "xenon create: unknown option '-x'")]
    [InlineData(new[] { "-V", "foo.cfg" }, "xenon create: unknown option '-V'")]
    [InlineData(new[] { "foo.cfg", "-f" }, "xenon create: option '-f' needs an argument (FILE)")]
    [InlineData(new[] { "-f", "" }, "xenon create: option '-f' needs a file name")]
    [InlineData(new[] { "foo.cfg", "bar.cfg" }, "xenon create: unexpected argument 'bar.cfg' (the config file is foo.cfg; overrides look like key=value)")]
    [InlineData(new[] { "-f", "foo.cfg", "bar.cfg" }, "xenon create: unexpected argument 'bar.cfg' (the config file is foo.cfg; overrides look like key=value)")]
    public void MistakesAreUsageErrors(string[] args, string expected)
    {
        var e = Assert.Throws<UsageException>(() => CreateOptions.Parse(args));
        Assert.Equal(expected, e.Message);
        Assert.Equal(CreateOptions.Usage, e.Usage);
    }
}
