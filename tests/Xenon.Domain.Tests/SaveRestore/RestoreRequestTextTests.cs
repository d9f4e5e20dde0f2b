using Xenon.Domain.SaveRestore;

namespace Xenon.Domain.Tests.SaveRestore;

public sealed class RestoreRequestTextTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void ARequestReadsBackAsWritten(bool paused, bool noMonitor)
    {
        var request = new RestoreRequest("/var/lib/xen/web.save", paused) { NoMonitor = noMonitor };
        Assert.Equal(request, RestoreRequestText.Parse(RestoreRequestText.Format(request), "test"));
    }

    [Theory]
    [InlineData("", "expected the saved file's path")]
    [InlineData("/x.save", "expected the saved file's path")]
    [InlineData("/x.save\nstopped\n", "'paused' or 'running'")]
    [InlineData("\nrunning\n", "expected the saved file's path")]
    [InlineData("x.save\nrunning\n", "\"x.save\" is not absolute")]
    [InlineData("/x.save\nrunning\nmonitor\n", "the third line may only be 'nomonitor'")]
    [InlineData("/x.save\nrunning\nnomonitor\nmore\n", "nothing may follow the third line, found \"more\"")]
    public void AMalformedRequestIsRefusedNamingItsSourceAndWhatWasExpected(string text, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => RestoreRequestText.Parse(text, "the request on sock"));
        Assert.StartsWith("the request on sock: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void AnOverlongRequestIsRefusedBeforeItIsSplit()
    {
        string text = "/" + new string('a', RestoreRequestText.MaxLength) + "\nrunning\n";
        var e = Assert.Throws<InvalidDataException>(() => RestoreRequestText.Parse(text, "src"));
        Assert.Contains($"at most {RestoreRequestText.MaxLength}", e.Message);
    }

    [Fact]
    public void APathWithANewlineCannotBeWritten()
    {
        Assert.Throws<ArgumentException>(() => RestoreRequestText.Format(new RestoreRequest("/a\nb", false)));
    }
}
