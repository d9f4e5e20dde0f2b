using Xenon.Store.Store;
using Xenon.Store.Wire;

namespace Xenon.Store.Tests;

public class WatchTests
{
    private readonly StoreClient _tool = new(new XenStore());
    private readonly StoreClient _watcher;

    public WatchTests()
    {
        _watcher = new StoreClient(_tool.Store);
    }

    private static string Event(SentMessage m)
    {
        Assert.Equal(XsMessageType.WatchEvent, m.Header.Type);
        Assert.Equal(0u, m.Header.RequestId);
        return string.Join('|', m.Strings);
    }

    [Fact]
    public void Registration_AcksThenFiresOnceAtOnce()
    {
        var reply = _watcher.Request(XsMessageType.Watch, 0, "/vm", "tok");
        Assert.Equal("OK\0", reply.Text);
        Assert.Equal(["/vm|tok"], _watcher.Sink.TakeEvents().Select(Event));
    }

    [Fact]
    public void WatchOnAncestor_FiresForDescendantWrites_NotForSiblings()
    {
        _watcher.Ok(XsMessageType.Watch, 0, "/a", "t");
        _watcher.Sink.TakeEvents();
        _tool.Write("/a/b/c", "1");
        _tool.Write("/ab", "no");
        _tool.Write("/a", "2");
        _tool.Ok(XsMessageType.Mkdir, 0, "/a/m");
        Assert.Equal(["/a/b/c|t", "/a|t", "/a/m|t"], _watcher.Sink.TakeEvents().Select(Event));
    }

    [Fact]
    public void WatchOnDescendant_FiresWhenAnAncestorIsRemoved()
    {
        _tool.Write("/p/q/r", "1");
        _watcher.Ok(XsMessageType.Watch, 0, "/p/q/r", "deep");
        _watcher.Ok(XsMessageType.Watch, 0, "/p", "top");
        _watcher.Sink.TakeEvents();
        _tool.Ok(XsMessageType.Rm, 0, "/p");
        var events = _watcher.Sink.TakeEvents().Select(Event).ToList();
        Assert.Contains("/p|top", events);
        Assert.Contains("/p/q/r|deep", events);
        Assert.Equal(2, events.Count);
    }

    [Fact]
    public void SetPerms_FiresWatches()
    {
        _tool.Write("/sp", "1");
        _watcher.Ok(XsMessageType.Watch, 0, "/sp", "t");
        _watcher.Sink.TakeEvents();
        _tool.Ok(XsMessageType.SetPerms, 0, "/sp", "n0", "r1");
        Assert.Equal(["/sp|t"], _watcher.Sink.TakeEvents().Select(Event));
    }

    [Fact]
    public void RelativeWatch_ReportsRelativePaths()
    {
        _watcher.Ok(XsMessageType.Watch, 0, "device", "rel");
        Assert.Equal(["device|rel"], _watcher.Sink.TakeEvents().Select(Event));
        _tool.Write("/local/domain/0/device/vbd/51712", "x");
        Assert.Equal(["device/vbd/51712|rel"], _watcher.Sink.TakeEvents().Select(Event));
    }

    [Fact]
    public void Duplicate_IsEEXIST_Unwatch_StopsEvents_UnknownIsENOENT()
    {
        _watcher.Ok(XsMessageType.Watch, 0, "/u", "t");
        _watcher.Fails(XsError.EEXIST, XsMessageType.Watch, 0, "/u", "t");
        _watcher.Ok(XsMessageType.Watch, 0, "/u", "t2");
        _watcher.Ok(XsMessageType.Unwatch, 0, "/u", "t");
        _watcher.Fails(XsError.ENOENT, XsMessageType.Unwatch, 0, "/u", "t");
        _watcher.Sink.TakeEvents();
        _tool.Write("/u", "1");
        Assert.Equal(["/u|t2"], _watcher.Sink.TakeEvents().Select(Event));
        _watcher.Fails(XsError.EINVAL, XsMessageType.Watch, 0, "/u");
        _watcher.Fails(XsError.EINVAL, XsMessageType.Watch, 0, "/bad//path", "t");
    }

    [Fact]
    public void ResetWatches_DropsThemAll()
    {
        _watcher.Ok(XsMessageType.Watch, 0, "/r1", "a");
        _watcher.Ok(XsMessageType.Watch, 0, "/r2", "b");
        _watcher.Ok(XsMessageType.ResetWatches, 0);
        _watcher.Sink.TakeEvents();
        _tool.Write("/r1", "1");
        Assert.Empty(_watcher.Sink.TakeEvents());
        Assert.Equal(0, _watcher.Connection.WatchCount);
    }

    [Fact]
    public void IntroduceAndRelease_FireSpecialWatches()
    {
        _watcher.Ok(XsMessageType.Watch, 0, XsMessageNames.Introduce, "i");
        _watcher.Ok(XsMessageType.Watch, 0, XsMessageNames.Release, "r");
        _watcher.Ok(XsMessageType.Watch, 0, "/local", "l");
        _watcher.Sink.TakeEvents();
        _tool.Ok(XsMessageType.Introduce, 0, "5", "1234", "7");
        Assert.Equal(["@introduceDomain|i"], _watcher.Sink.TakeEvents().Select(Event));
        _tool.Ok(XsMessageType.Introduce, 0, "5", "1234", "7");
        Assert.Empty(_watcher.Sink.TakeEvents());
        _tool.Ok(XsMessageType.Release, 0, "5");
        Assert.Equal(["@releaseDomain|r"], _watcher.Sink.TakeEvents().Select(Event));
    }

    [Fact]
    public void UnprivilegedWatcher_OnlyHearsAboutReadableNodes()
    {
        var dom1 = new StoreClient(_tool.Store, 1, privileged: false);
        dom1.Ok(XsMessageType.Watch, 0, "/w", "t");
        dom1.Sink.TakeEvents();
        _tool.Write("/w/hidden", "1");
        Assert.Empty(dom1.Sink.TakeEvents());
        _tool.Write("/w/shown", "1");
        _tool.Ok(XsMessageType.SetPerms, 0, "/w/shown", "n0", "r1");
        Assert.Equal(["/w/shown|t"], dom1.Sink.TakeEvents().Select(Event));
        _tool.Ok(XsMessageType.Watch, 0, "@releaseDomain", "x");
        dom1.Ok(XsMessageType.Watch, 0, "@releaseDomain", "r");
        dom1.Sink.TakeEvents();
        _tool.Ok(XsMessageType.Introduce, 0, "9", "0", "0");
        _tool.Ok(XsMessageType.Release, 0, "9");
        Assert.Empty(dom1.Sink.TakeEvents());
    }

    [Fact]
    public void WatchQuota_IsE2BIG_AndDisconnectFreesWatches()
    {
        var store = new XenStore(new XsQuotas { WatchesPerConnection = 3 });
        var client = new StoreClient(store);
        for (var i = 0; i < 3; i++)
        {
            client.Ok(XsMessageType.Watch, 0, "/q", "t" + i);
        }

        client.Fails(XsError.E2BIG, XsMessageType.Watch, 0, "/q", "t3");
        store.Disconnect(client.Connection);
        Assert.Equal(0, client.Connection.WatchCount);
    }
}

internal static class XsMessageNames
{
    public const string Introduce = "@introduceDomain";
    public const string Release = "@releaseDomain";
}
