using Xenon.Store.Tree;
using Xenon.Store.Wire;
using Xenon.Toolstack.XenStore;

namespace Xenon.Toolstack.Tests.XenStore;

/// <summary>Pipelined batches (<see cref="XsClient.Send"/>) against a real xenstored (Xenon.Store) on a temp socket.</summary>
public sealed class XsBatchTests : IDisposable
{
    private readonly ToolstackFixture _world = new();
    private readonly XsClient _client;

    public XsBatchTests() => _client = _world.Client();

    public void Dispose()
    {
        _client.Dispose();
        _world.Dispose();
    }

    [Fact]
    public void ABatchLargerThanThePipelineDepthAppliesEveryRequestInOrder()
    {
        var batch = new XsBatch();
        int n = XsClient.PipelineDepth * 3 + 5;
        for (int i = 0; i < n; i++) batch.Write($"/b/n{i}", $"v{i}");
        // Later requests see earlier ones: the value is overwritten, then the node removed and made again.
        batch.Write("/b/n0", "again").Rm("/b/n1").Mkdir("/b/n1").SetPerms("/b/n2", [new XsPerm(5, XsPermAccess.Read)]);
        _client.Send(batch);
        Assert.Equal("again", _client.Read("/b/n0"));
        Assert.Equal("", _client.Read("/b/n1"));
        Assert.Equal($"v{n - 1}", _client.Read($"/b/n{n - 1}"));
        Assert.Equal([new XsPerm(5, XsPermAccess.Read)], _client.GetPerms("/b/n2"));
        Assert.Equal(n, _client.Directory("/b").Count);
    }

    [Fact]
    public void CreateWritesEntriesAsWriteOrMkdirWithTheirPermissions()
    {
        _client.Send(new XsBatch().Create(
        [
            new XsEntry("/c", null, [new XsPerm(0, XsPermAccess.None), new XsPerm(3, XsPermAccess.Read)]),
            new XsEntry("/c/v", "x"),
            new XsEntry("/c/d", null),
        ]));
        Assert.Equal([new XsPerm(0, XsPermAccess.None), new XsPerm(3, XsPermAccess.Read)], _client.GetPerms("/c"));
        Assert.Equal("x", _client.Read("/c/v"));
        Assert.Equal("", _client.Read("/c/d"));
    }

    [Fact]
    public void RemovingAMissingNodeIsNotAnError() =>
        _client.Send(new XsBatch().Rm("/missing/a").Rm("/missing"));

    [Fact]
    public void TheFirstFailureIsThrownAfterItsGroupIsAnsweredAndTheConnectionStaysInStep()
    {
        var batch = new XsBatch().Write("/f/ok", "1").Write("/f//bad", "x").Write("/f/after", "2");
        for (int i = 0; i < XsClient.PipelineDepth; i++) batch.Write($"/f/later{i}", "3");
        var e = Assert.Throws<XsClientException>(() => _client.Send(batch));
        Assert.Equal(XsError.EINVAL, e.Error);
        Assert.Contains("/f//bad", e.Message, StringComparison.Ordinal);
        // The failing request's group was applied around it; the next group was never sent.
        Assert.Equal("1", _client.Read("/f/ok"));
        Assert.Equal("2", _client.Read("/f/after"));
        Assert.Null(_client.Read($"/f/later{XsClient.PipelineDepth - 1}"));
        // Every reply of the group was read: the next request gets its own.
        _client.Write("/f/next", "4");
        Assert.Equal("4", _client.Read("/f/next"));
    }

    [Fact]
    public void AFailureInsideTransactAbortsTheWholeTransaction()
    {
        Assert.Throws<XsClientException>(() => _client.Transact(tx =>
            _client.Send(new XsBatch().Write("/t/a", "1").Write("/t//bad", "x"), tx)));
        Assert.Null(_client.Read("/t/a"));
    }

    [Fact]
    public void ABatchInATransactionIsInvisibleUntilCommitted()
    {
        uint tx = _client.TransactionStart();
        _client.Send(new XsBatch().Write("/tx/a", "1").Mkdir("/tx/b"), tx);
        Assert.Null(_client.Read("/tx/a"));
        Assert.True(_client.TransactionEnd(tx, commit: true));
        Assert.Equal("1", _client.Read("/tx/a"));
    }

    [Fact]
    public void WatchEventsArrivingAmongBatchRepliesAreKept()
    {
        _client.Watch("/w", "w");
        Assert.Equal(new XsWatchEvent("/w", "w"), _client.WaitForWatchEvent(TimeSpan.FromSeconds(5)));
        _client.Send(new XsBatch().Write("/w/a", "1").Write("/w/b", "2"));
        var seen = new List<string>();
        while (_client.WaitForWatchEvent(TimeSpan.FromMilliseconds(200)) is { } e) seen.Add(e.Path);
        Assert.Contains("/w/a", seen);
        Assert.Contains("/w/b", seen);
    }

    [Fact]
    public void AnEmptyBatchSendsNothing() => _client.Send(new XsBatch());

    [Fact]
    public void AnOversizedRequestIsRefusedWhenAdded() =>
        Assert.Throws<XsClientException>(() => new XsBatch().Write("/big", new string('x', 5000)));

    [Fact]
    public void ADaemonThatGoesAwayIsATransportError()
    {
        _world.StopStore();
        var e = Assert.Throws<XsClientException>(() => _client.Send(new XsBatch().Write("/x", "1")));
        Assert.Null(e.Error);
    }
}
