using Xenon.Store.Wire;
using Xenon.Toolstack.XenStore;

namespace Xenon.Toolstack.Tests.XenStore;

/// <summary>Pipelined questions (<see cref="XsClient.Query"/>) and the client's buffered replies, against a real
/// xenstored (Xenon.Store) on a temp socket.</summary>
public sealed class XsQueryTests : IDisposable
{
    private readonly ToolstackFixture _world = new();
    private readonly XsClient _client;

    public XsQueryTests() => _client = _world.Client();

    public void Dispose()
    {
        _client.Dispose();
        _world.Dispose();
    }

    [Fact]
    public void EveryAnswerComesBackInOrderAndAMissingNodeIsAnAnswer()
    {
        _client.Send(new XsBatch().Write("/q/a", "1").Write("/q/b", "").Mkdir("/q/c"));
        _client.Introduce(7, 0, 0);
        var answers = _client.Query(new XsBatch().Read("/q/a").Read("/q/missing").Directory("/q").Directory("/nowhere")
            .Read("/q/b").IsDomainIntroduced(7).IsDomainIntroduced(8));
        Assert.Equal(7, answers.Length);
        Assert.Equal("1", answers[0].Text);
        Assert.Null(answers[1].Text);
        Assert.Equal(XsError.ENOENT, answers[1].Error);
        Assert.Equal(["a", "b", "c"], answers[2].Names.Order());
        Assert.Empty(answers[3].Names);
        Assert.Equal("", answers[4].Text);
        Assert.True(answers[5].IsTrue);
        Assert.False(answers[6].IsTrue);
    }

    [Fact]
    public void AnErrorAnswerDoesNotStopTheRestOfTheBatch()
    {
        _client.Write("/e/ok", "yes");
        var answers = _client.Query(new XsBatch().Read("/e//bad").Write("/e/w", "2").Read("/e/ok"));
        Assert.Equal(XsError.EINVAL, answers[0].Error);
        Assert.Null(answers[1].Error);
        Assert.Equal("yes", answers[2].Text);
        Assert.Equal("2", _client.Read("/e/w"));
    }

    [Fact]
    public void ABatchLargerThanOneGroupInBytesIsAnsweredWhole()
    {
        // 40 values of 2000 bytes: past PipelineBytes, so several groups; each answer must match its own request.
        var writes = new XsBatch();
        for (int i = 0; i < 40; i++) writes.Write($"/big/n{i}", new string((char)('a' + i % 26), 2000));
        _client.Send(writes);
        var ask = new XsBatch();
        for (int i = 0; i < 40; i++) ask.Read($"/big/n{i}");
        var answers = _client.Query(ask);
        for (int i = 0; i < 40; i++) Assert.Equal(new string((char)('a' + i % 26), 2000), answers[i].Text);
    }

    [Fact]
    public void AWatchEventReceivedWithRepliesIsKeptForWaitForWatchEvent()
    {
        _client.Watch("/w", "tok");
        // The watch's first firing arrives before or with the next replies; it must not be lost in the read buffer.
        var answers = _client.Query(new XsBatch().Read("/w").Read("/w"));
        Assert.Equal(2, answers.Length);
        var e = _client.WaitForWatchEvent(TimeSpan.FromSeconds(5));
        Assert.Equal("tok", Assert.NotNull(e).Token);
    }

    [Fact]
    public void AnEmptyQueryAsksNothing() => Assert.Empty(_client.Query(new XsBatch()));
}
