namespace Xenon.System.Tests.Nested;

public sealed class ScenarioResultsReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("xenon-results-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void Write(string name, string ext, string text) => File.WriteAllText(Path.Combine(_dir, name + ext), text);

    [Fact]
    public void Reads_status_output_and_duration()
    {
        Write("boot", ".rc", "3\n");
        Write("boot", ".out", "XENON-INIT-OK\r\nPANIC\r\n");
        Write("boot", ".time", "12.50\n");

        ScenarioResult r = ScenarioResultsReader.Read(_dir)["boot"];

        Assert.Equal(3, r.ExitCode);
        Assert.Equal(TimeSpan.FromSeconds(12.5), r.Duration);
        Assert.Equal(["XENON-INIT-OK", "PANIC", ""], r.Lines);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("-5")]
    [InlineData("99999999999999999999")]
    public void A_damaged_status_file_gives_a_result_that_says_so(string rc)
    {
        Write("x", ".rc", rc);

        ScenarioResult r = ScenarioResultsReader.Read(_dir)["x"];

        Assert.Equal(ScenarioResultsReader.DamagedExitCode, r.ExitCode);
        Assert.Contains("not a number", r.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-1")]
    [InlineData("1e400")]
    public void A_missing_or_bad_duration_is_zero(string time)
    {
        Write("x", ".rc", "0");
        Write("x", ".time", time);

        Assert.Equal(TimeSpan.Zero, ScenarioResultsReader.Read(_dir)["x"].Duration);
    }

    [Fact]
    public void Missing_output_is_empty_and_a_missing_directory_has_no_results()
    {
        Write("quiet", ".rc", "0");

        Assert.Equal("", ScenarioResultsReader.Read(_dir)["quiet"].Output);
        Assert.Empty(ScenarioResultsReader.Read(Path.Combine(_dir, "nope")));
    }

    [Fact]
    public void ValueOf_takes_the_first_line_starting_with_the_key()
    {
        var r = new ScenarioResult("s", 0, "cmdline = \"-- echo NPROC=$(nproc)\"\nXNPROC=9\r\nNPROC=2\r\nNPROC=3\n", TimeSpan.Zero);

        Assert.Equal("2", r.ValueOf("NPROC"));
    }

    [Fact]
    public void Tail_keeps_the_last_lines()
    {
        var r = new ScenarioResult("s", 0, "a\nb\nc\nd", TimeSpan.Zero);

        Assert.Equal("c\nd", r.Tail(2));
        Assert.Equal("a\nb\nc\nd", r.Tail(10));
    }
}
