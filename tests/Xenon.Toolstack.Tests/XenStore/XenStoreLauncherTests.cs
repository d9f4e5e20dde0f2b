using Xenon.Toolstack.XenStore;

namespace Xenon.Toolstack.Tests.XenStore;

/// <summary>xenstored on demand: started when nobody answers, once even when commands race.</summary>
public sealed class XenStoreLauncherTests : IDisposable
{
    private readonly ToolstackFixture _world = new(startStore: false);

    public void Dispose() => _world.Dispose();

    [Fact]
    public void WithoutAutoStartAMissingDaemonIsAnErrorAndOpenWarns()
    {
        Assert.Throws<XsClientException>(() => XenStoreLauncher.Connect(_world.Context));
        var warnings = new StringWriter();
        Assert.Null(XenStoreLauncher.Open(_world.Context, warnings));
        Assert.Contains("XenStore unavailable", warnings.ToString());
    }

    [Fact]
    public void ConcurrentCommandsStartOneDaemon()
    {
        int starts = 0;
        _world.AllowAutoStart(() =>
        {
            Interlocked.Increment(ref starts);
            Thread.Sleep(100); // a slow start widens the race
        });
        var threads = Enumerable.Range(0, 6).Select(_ => new Thread(() =>
        {
            using var c = XenStoreLauncher.Connect(_world.Context);
            c.Write("/hello", "x");
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Equal(1, starts);
    }

    [Fact]
    public void OpenStartsTheDaemonAndWritesDom0()
    {
        _world.AllowAutoStart();
        using var records = XenStoreLauncher.Open(_world.Context, TextWriter.Null);
        Assert.NotNull(records);
        Assert.Equal("Domain-0", records.Client.Read("/local/domain/0/name"));
    }

    [Fact]
    public void PidFileLivesBesideTheSocket()
    {
        Assert.Equal("/var/run/xenstored/xenstored.pid", XenStoreLauncher.PidFileFor("/var/run/xenstored/socket"));
    }

    [Fact]
    public void CreatePublishesAtOnceWhenXenstoredRuns()
    {
        _world.StartStore();
        _world.AddDomain(ToolstackFixture.Spec("new", 2));
        XenStoreLauncher.PublishOrStartInBackground(_world.Context, TextWriter.Null);
        using var c = _world.Client();
        Assert.Equal("new", c.Read("/local/domain/2/name"));
    }

    [Fact]
    public void CreateStartsXenstoredWithoutWaitingForIt()
    {
        int starts = 0;
        _world.AllowAutoStart(() => starts++);
        XenStoreLauncher.PublishOrStartInBackground(_world.Context, TextWriter.Null);
        Assert.Equal(1, starts);
        XenStoreLauncher.PublishOrStartInBackground(_world.Context, TextWriter.Null); // running now: no second start
        Assert.Equal(1, starts);
    }
}
