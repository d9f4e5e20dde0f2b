using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Xenon.Domain.Process;
using Xenon.Domain.SaveRestore;

namespace Xenon.Domain.Tests.SaveRestore;

/// <summary>The domain process's side of a prepared restore: its socket, request and answers (the restore itself is the
/// save-restore scenario's and bench/saverestore's, on KVM).</summary>
public sealed class PreparedRestoreTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("xenon-prepared-").FullName;
    private readonly List<string> _log = [];
    private readonly DomainRuntimeDirectory _dir;

    public PreparedRestoreTests()
    {
        _dir = new DomainRuntimeDirectory(Path.Combine(_root, "web"));
        Directory.CreateDirectory(_dir.Path);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Log(string m)
    {
        lock (_log) _log.Add(m);
    }

    [Fact]
    public void ADirectoryWithoutTheRequestIsNoPreparedRestore()
    {
        Assert.False(PreparedRestore.IsRequested(_dir));
        Assert.Null(PreparedRestore.For(_dir, Log));
        Assert.False(File.Exists(PreparedRestore.SocketPath(_dir)));
    }

    [Fact]
    public void PrepareParksWarmsAndThenSaysPrepared()
    {
        PreparedRestore.WriteRequest(_dir);
        using var prepared = PreparedRestore.For(_dir, Log)!;
        using var domain = new FakeDomain { CanCaptureParked = true };
        prepared.Prepare(domain);
        Assert.Equal(["threads parked", "capture parked", "start parked"], domain.Events);
        Assert.Equal("prepared\n", File.ReadAllText(_dir.StateFile));
        Assert.Contains(_log, l => l.Contains("restore: prepared: vCPUs parked") && l.Contains("warmed"));
    }

    [Fact]
    public void AFailedWarmUpIsLoggedAndTheDomainIsStillPrepared()
    {
        PreparedRestore.WriteRequest(_dir);
        using var prepared = PreparedRestore.For(_dir, Log)!;
        using var domain = new FakeDomain { CanCaptureParked = true };
        domain.Extra.FailRestore = true;
        prepared.Prepare(domain);
        Assert.Equal("prepared\n", File.ReadAllText(_dir.StateFile));
        Assert.Contains(_log, l => l.Contains("warm-up failed (the restore will run cold)") && l.Contains("refuses its state on purpose"));
    }

    [Fact]
    public async Task AWellFormedRequestIsTakenAndAnsweredOnItsConnection()
    {
        PreparedRestore.WriteRequest(_dir);
        using var prepared = PreparedRestore.For(_dir, Log)!;
        Stopwatch? received = null;
        var wait = Task.Run(() =>
        {
            var r = prepared.WaitForRequest(out var clock);
            received = clock;
            return r;
        }, TestContext.Current.CancellationToken);
        using var client = Connect();
        client.Send("/srv/web.save\npaused\nnomonitor\n"u8);
        client.Shutdown(SocketShutdown.Send);
        var request = await wait.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal(new RestoreRequest("/srv/web.save", true) { NoMonitor = true }, request);
        Assert.True(received!.IsRunning);
        // Taken: nobody else can connect any more.
        Assert.False(File.Exists(PreparedRestore.SocketPath(_dir)));
        prepared.Answer("paused");
        Assert.Equal("paused\n", ReadToEnd(client));
    }

    [Fact]
    public async Task AClientQueuedBehindTheTakenRequestIsCutOffAtTheAnswerAndGetsNoRestore()
    {
        PreparedRestore.WriteRequest(_dir);
        using var prepared = PreparedRestore.For(_dir, Log)!;
        using var first = Connect();
        // Connected before the path goes: it waits in the listener's backlog while the first request is served.
        using var second = Connect();
        var wait = Task.Run(() => prepared.WaitForRequest(out _), TestContext.Current.CancellationToken);
        first.Send("/srv/web.save\nrunning\n"u8);
        first.Shutdown(SocketShutdown.Send);
        Assert.Equal(new RestoreRequest("/srv/web.save", false), await wait.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.False(File.Exists(PreparedRestore.SocketPath(_dir)));
        second.Send("/srv/other.save\nrunning\n"u8);
        second.Shutdown(SocketShutdown.Send);
        prepared.Answer("running");
        Assert.Equal("running\n", ReadToEnd(first));
        // The listener is closed with the answer: the queued connection ends without one (reset or end of stream).
        string queued;
        try
        {
            queued = ReadToEnd(second);
        }
        catch (SocketException e)
        {
            queued = $"reset: {e.SocketErrorCode}";
        }
        Assert.DoesNotContain("running", queued, StringComparison.Ordinal);
        Assert.DoesNotContain(PreparedRestore.RefusedPrefix, queued, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMalformedRequestIsRefusedAndTheDomainWaitsForTheNext()
    {
        PreparedRestore.WriteRequest(_dir);
        using var prepared = PreparedRestore.For(_dir, Log)!;
        var wait = Task.Run(() => prepared.WaitForRequest(out _), TestContext.Current.CancellationToken);
        using (var bad = Connect())
        {
            bad.Send("relative.save\nrunning\n"u8);
            bad.Shutdown(SocketShutdown.Send);
            string answer = ReadToEnd(bad);
            Assert.StartsWith(PreparedRestore.RefusedPrefix, answer);
            Assert.Contains("is not absolute", answer);
        }
        Assert.False(wait.IsCompleted);
        using var good = Connect();
        good.Send("/srv/web.save\nrunning\n"u8);
        good.Shutdown(SocketShutdown.Send);
        Assert.Equal(new RestoreRequest("/srv/web.save", false), await wait.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        prepared.Answer(PreparedRestore.ErrorPrefix + "the file is corrupt\nat offset 8");
        // One line, whatever the message held.
        Assert.Equal("error: the file is corrupt at offset 8\n", ReadToEnd(good));
        Assert.Contains(_log, l => l.Contains("refused a request") && l.Contains("is not absolute"));
    }

    [Fact]
    public async Task CancelEndsTheWaitWithoutARequest()
    {
        PreparedRestore.WriteRequest(_dir);
        using var prepared = PreparedRestore.For(_dir, Log)!;
        var wait = Task.Run(() => prepared.WaitForRequest(out _), TestContext.Current.CancellationToken);
        await Task.Delay(50, TestContext.Current.CancellationToken);
        prepared.Cancel();
        Assert.Null(await wait.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.False(File.Exists(PreparedRestore.SocketPath(_dir)));
    }

    [Fact]
    public void ASocketThatCannotBeBoundIsAnErrorNamingIt()
    {
        PreparedRestore.WriteRequest(_dir);
        // A directory where the socket should go: it cannot be removed as a file, nor bound over.
        Directory.CreateDirectory(PreparedRestore.SocketPath(_dir));
        var e = Assert.Throws<IOException>(() => PreparedRestore.For(_dir, Log));
        Assert.Contains($"cannot listen on {PreparedRestore.SocketPath(_dir)}", e.Message);
    }

    private Socket Connect()
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(PreparedRestore.SocketPath(_dir)));
        socket.ReceiveTimeout = 30_000;
        return socket;
    }

    private static string ReadToEnd(Socket socket)
    {
        var buffer = new byte[4096];
        int length = 0, n;
        while ((n = socket.Receive(buffer.AsSpan(length))) > 0) length += n;
        return Encoding.UTF8.GetString(buffer, 0, length);
    }
}
