using Xenon.Store.Tree;
using Xenon.Store.Wire;
using Xenon.Toolstack.XenStore;

namespace Xenon.Toolstack.Tests.XenStore;

/// <summary>The toolstack's xenstored client against a real xenstored (Xenon.Store) on a temp socket.</summary>
public sealed class XsClientTests : IDisposable
{
    private readonly ToolstackFixture _world = new();
    private readonly XsClient _client;

    public XsClientTests() => _client = _world.Client();

    public void Dispose()
    {
        _client.Dispose();
        _world.Dispose();
    }

    [Fact]
    public void WriteReadDirectoryAndRemove()
    {
        _client.Write("/a/b", "hello");
        _client.Write("/a/c", "");
        _client.Mkdir("/a/d");
        Assert.Equal("hello", _client.Read("/a/b"));
        Assert.Equal("", _client.Read("/a/c"));
        Assert.Equal(["b", "c", "d"], _client.Directory("/a").Order(StringComparer.Ordinal));
        _client.Rm("/a");
        Assert.Null(_client.Read("/a/b"));
        Assert.Empty(_client.Directory("/a"));
        _client.Rm("/a"); // missing: not an error
    }

    [Fact]
    public void ValuesRoundTripEveryByte()
    {
        var value = new string(Enumerable.Range(1, 255).Select(i => (char)i).ToArray());
        _client.Write("/bytes", value);
        Assert.Equal(value, _client.Read("/bytes"));
    }

    [Fact]
    public void ErrorsCarryXenstoredsErrorName()
    {
        var e = Assert.Throws<XsClientException>(() => _client.Write("/bad//path", "x"));
        Assert.Equal(XsError.EINVAL, e.Error);
        Assert.Throws<XsClientException>(() => _client.Write("/big", new string('x', 5000)));
    }

    [Fact]
    public void PermissionsRoundTrip()
    {
        _client.Write("/p", "v");
        _client.SetPerms("/p", [new XsPerm(3, XsPermAccess.None), new XsPerm(0, XsPermAccess.Read)]);
        Assert.Equal([new XsPerm(3, XsPermAccess.None), new XsPerm(0, XsPermAccess.Read)], _client.GetPerms("/p"));
    }

    [Fact]
    public void LargeDirectoriesArriveThroughDirectoryPart()
    {
        // 300 children of 20 characters: about 6300 bytes, more than one reply can carry.
        for (int i = 0; i < 300; i++) _client.Write($"/many/child-{i:D14}", "");
        var names = _client.Directory("/many");
        Assert.Equal(300, names.Count);
        Assert.Contains("child-00000000000299", names);
    }

    [Fact]
    public void TransactionsCommitAbortAndRetryOnConflict()
    {
        uint tx = _client.TransactionStart();
        _client.Write("/t/x", "1", tx);
        Assert.Null(_client.Read("/t/x"));
        Assert.True(_client.TransactionEnd(tx, commit: true));
        Assert.Equal("1", _client.Read("/t/x"));

        tx = _client.TransactionStart();
        _client.Write("/t/x", "2", tx);
        Assert.True(_client.TransactionEnd(tx, commit: false));
        Assert.Equal("1", _client.Read("/t/x"));

        // Another client changes what the transaction read: the first commit fails with EAGAIN, Transact retries.
        using var other = _world.Client();
        int attempts = 0;
        _client.Transact(t =>
        {
            attempts++;
            var v = _client.Read("/t/x", t);
            if (attempts == 1) other.Write("/t/x", "changed");
            _client.Write("/t/y", v + "!", t);
        });
        Assert.Equal(2, attempts);
        Assert.Equal("changed!", _client.Read("/t/y"));
    }

    [Fact]
    public void TransactAbortsWhenTheBodyThrows()
    {
        Assert.Throws<InvalidOperationException>(() => _client.Transact(t =>
        {
            _client.Write("/never", "x", t);
            throw new InvalidOperationException("boom");
        }));
        Assert.Null(_client.Read("/never"));
    }

    [Fact]
    public void WatchesFireAtOnceAndOnChange()
    {
        _client.Watch("/w", "tok");
        Assert.Equal(new XsWatchEvent("/w", "tok"), _client.WaitForWatchEvent(TimeSpan.FromSeconds(5)));
        using var other = _world.Client();
        other.Write("/w/x", "1");
        Assert.Equal(new XsWatchEvent("/w/x", "tok"), _client.WaitForWatchEvent(TimeSpan.FromSeconds(5)));
        _client.Unwatch("/w", "tok");
        other.Write("/w/y", "1");
        Assert.Null(_client.WaitForWatchEvent(TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public void WatchEventsArrivingBetweenRepliesAreKept()
    {
        _client.Watch("/k", "k");
        _client.Write("/k/a", "1"); // our own write fires the watch while we wait for the reply
        Assert.Equal("1", _client.Read("/k/a"));
        var seen = new List<string>();
        while (_client.WaitForWatchEvent(TimeSpan.FromMilliseconds(200)) is { } e) seen.Add(e.Path);
        Assert.Contains("/k", seen);
        Assert.Contains("/k/a", seen);
    }

    [Fact]
    public void IntroduceAndReleaseFireTheSpecialWatches()
    {
        _client.Watch("@releaseDomain", "rel");
        Assert.Equal(new XsWatchEvent("@releaseDomain", "rel"), _client.WaitForWatchEvent(TimeSpan.FromSeconds(5)));
        _client.Introduce(7, 0, 0);
        Assert.True(_client.IsDomainIntroduced(7));
        Assert.Equal("/local/domain/7", _client.GetDomainPath(7));
        Assert.True(_client.Release(7));
        Assert.Equal(new XsWatchEvent("@releaseDomain", "rel"), _client.WaitForWatchEvent(TimeSpan.FromSeconds(5)));
        Assert.False(_client.IsDomainIntroduced(7));
        Assert.False(_client.Release(7));
    }

    [Fact]
    public void ADaemonThatGoesAwayIsATransportError()
    {
        _world.StopStore();
        var e = Assert.Throws<XsClientException>(() => _client.Read("/x"));
        Assert.Null(e.Error);
    }
}
