using Xenon.Store.Store;
using Xenon.Store.Wire;

namespace Xenon.Store.Tests;

public class TransactionTests
{
    private readonly StoreClient _a = new(new XenStore());
    private readonly StoreClient _b;

    public TransactionTests()
    {
        _b = new StoreClient(_a.Store);
    }

    [Fact]
    public void ChangesAreInvisibleUntilCommit_ThenVisible()
    {
        var tx = _a.Start();
        Assert.NotEqual(0u, tx);
        _a.Write("/t/x", "1", tx);
        Assert.Equal("1", _a.Read("/t/x", tx));
        _b.Fails(XsError.ENOENT, XsMessageType.Read, 0, "/t/x");
        _a.Fails(XsError.ENOENT, XsMessageType.Read, 0, "/t/x");
        _a.Ok(XsMessageType.TransactionEnd, tx, "T");
        Assert.Equal("1", _b.Read("/t/x"));
    }

    [Fact]
    public void Abort_DiscardsChanges()
    {
        _a.Write("/k", "old");
        var tx = _a.Start();
        _a.Write("/k", "new", tx);
        _a.Ok(XsMessageType.Rm, tx, "/tool");
        _a.Ok(XsMessageType.TransactionEnd, tx, "F");
        Assert.Equal("old", _a.Read("/k"));
        Assert.Equal(["xenstored"], _a.Directory("/tool"));
        _a.Fails(XsError.ENOENT, XsMessageType.Read, tx, "/k");
    }

    [Fact]
    public void ConflictingCommit_IsEAGAIN()
    {
        _a.Write("/c", "0");
        var tx = _a.Start();
        Assert.Equal("0", _a.Read("/c", tx));
        _a.Write("/c2", "x", tx);
        _b.Write("/c", "changed");
        _a.Fails(XsError.EAGAIN, XsMessageType.TransactionEnd, tx, "T");
        _a.Fails(XsError.ENOENT, XsMessageType.Read, 0, "/c2");
        // The transaction is gone after the failed commit.
        _a.Fails(XsError.ENOENT, XsMessageType.TransactionEnd, tx, "T");
    }

    [Fact]
    public void NodeCreatedElsewhereAfterBeingSeenAbsent_Conflicts()
    {
        var tx = _a.Start();
        _a.Fails(XsError.ENOENT, XsMessageType.Read, tx, "/new");
        _a.Write("/other", "1", tx);
        _b.Write("/new", "1");
        _a.Fails(XsError.EAGAIN, XsMessageType.TransactionEnd, tx, "T");
    }

    [Fact]
    public void UnrelatedChanges_DoNotConflict()
    {
        _a.Write("/x/one", "1");
        _a.Write("/y/two", "2");
        var tx = _a.Start();
        _a.Write("/x/one", "10", tx);
        _b.Write("/y/two", "20");
        _a.Ok(XsMessageType.TransactionEnd, tx, "T");
        Assert.Equal("10", _a.Read("/x/one"));
        Assert.Equal("20", _a.Read("/y/two"));
    }

    [Fact]
    public void Watches_FireOnCommitOnly_AndNeverOnAbort()
    {
        _b.Ok(XsMessageType.Watch, 0, "/w", "t");
        _b.Sink.TakeEvents();
        var tx = _a.Start();
        _a.Write("/w/a", "1", tx);
        _a.Write("/w/a", "2", tx);
        Assert.Empty(_b.Sink.TakeEvents());
        _a.Ok(XsMessageType.TransactionEnd, tx, "T");
        Assert.Equal(["/w/a\0t\0"], _b.Sink.TakeEvents().Select(e => e.Text));

        var aborted = _a.Start();
        _a.Write("/w/b", "1", aborted);
        _a.Ok(XsMessageType.TransactionEnd, aborted, "F");
        Assert.Empty(_b.Sink.TakeEvents());
    }

    [Fact]
    public void Errors_FollowCXenstored()
    {
        _a.Fails(XsError.EINVAL, XsMessageType.TransactionEnd, 0, "T");
        _a.Fails(XsError.ENOENT, XsMessageType.Read, 77, "/tool");
        var tx = _a.Start();
        _a.Fails(XsError.EBUSY, XsMessageType.TransactionStart, tx, string.Empty);
        _a.Fails(XsError.EINVAL, XsMessageType.TransactionEnd, tx, "X");
        _a.Fails(XsError.EINVAL, XsMessageType.TransactionEnd, tx, "TT");
        // Another connection cannot use this connection's transaction.
        _b.Fails(XsError.ENOENT, XsMessageType.Read, tx, "/tool");
        // Watch ignores the transaction id.
        _a.Ok(XsMessageType.Watch, 12345, "/tool", "t");
        _a.Ok(XsMessageType.TransactionEnd, tx, "T");
    }

    [Fact]
    public void TransactionQuota_IsENOSPC()
    {
        var ids = Enumerable.Range(0, 10).Select(_ => _a.Start()).ToList();
        Assert.Equal(10, ids.Distinct().Count());
        _a.Fails(XsError.ENOSPC, XsMessageType.TransactionStart, 0, string.Empty);
        _a.Ok(XsMessageType.TransactionEnd, ids[0], "F");
        _a.Start();
    }

    [Fact]
    public void TouchingTooManyNodes_FailsTheCommit()
    {
        var store = new XenStore(new XsQuotas { TransactionNodes = 8 });
        var client = new StoreClient(store);
        var tx = client.Start();
        for (var i = 0; i < 10; i++)
        {
            client.Ok(XsMessageType.Mkdir, tx, "/many/n" + i);
        }

        client.Fails(XsError.EAGAIN, XsMessageType.TransactionEnd, tx, "T");
        client.Fails(XsError.ENOENT, XsMessageType.Read, 0, "/many");
    }

    [Fact]
    public void RmInsideTransaction_AndRecreate()
    {
        _a.Write("/rt/a", "1");
        var tx = _a.Start();
        _a.Ok(XsMessageType.Rm, tx, "/rt");
        _a.Fails(XsError.ENOENT, XsMessageType.Read, tx, "/rt/a");
        _a.Write("/rt/b", "2", tx);
        _a.Ok(XsMessageType.TransactionEnd, tx, "T");
        Assert.Equal(["b"], _a.Directory("/rt"));
        _a.Fails(XsError.ENOENT, XsMessageType.Read, 0, "/rt/a");
    }
}
