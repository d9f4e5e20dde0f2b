using System.Diagnostics;
using Xenon.Store.Server;
using Xenon.Store.Store;
using Xenon.Store.Wire;

namespace Xenon.Store.Tests;

public class DaemonTests
{
    [Fact]
    public void SocketClient_GetsRepliesAndEvents()
    {
        using var daemon = new TempDaemon();
        using var a = new SocketClient(daemon.SocketPath);
        using var b = new SocketClient(daemon.SocketPath);
        Assert.Equal("OK\0", b.Call(XsMessageType.Watch, 0, "/s", "tok").Text);
        Assert.Equal("/s\0tok\0", b.Receive().Text);
        Assert.Equal("OK\0", a.Call(XsMessageType.Write, 0, "/s/x").Text);
        var ev = b.Receive();
        Assert.Equal(XsMessageType.WatchEvent, ev.Header.Type);
        Assert.Equal("/s/x\0tok\0", ev.Text);
    }

    [Fact]
    public void Start_CreatesSocket0600_Stop_RemovesIt_AndIsQuick()
    {
        var daemon = new TempDaemon();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(daemon.SocketPath));
        using (new SocketClient(daemon.SocketPath))
        {
            var clock = Stopwatch.StartNew();
            daemon.Daemon.Stop();
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"Stop took {clock.Elapsed}");
        }

        Assert.False(File.Exists(daemon.SocketPath));
        Assert.False(daemon.Daemon.IsRunning);
        daemon.Dispose();
    }

    [Fact]
    public void SecondDaemon_OnALiveSocket_IsRefused_StaleSocketIsReplaced()
    {
        using var daemon = new TempDaemon();
        using var other = new XenStoreDaemon(daemon.SocketPath);
        Assert.Throws<InvalidOperationException>(() => other.Start());
        daemon.Daemon.Stop();
        File.WriteAllText(daemon.SocketPath, "stale");
        other.Start();
        using var client = new SocketClient(daemon.SocketPath);
        Assert.Equal("/local/domain/0\0", client.Call(XsMessageType.GetDomainPath, 0, "0").Text);
    }

    [Theory]
    [InlineData(new string[0], true, XenStoreDaemon.DefaultSocketPath)]
    [InlineData(new[] { "--socket", "/tmp/x" }, true, "/tmp/x")]
    [InlineData(new[] { "--socket=/tmp/y" }, true, "/tmp/y")]
    [InlineData(new[] { "--socket" }, false, "")]
    [InlineData(new[] { "--bogus" }, false, "")]
    public void CommandLine_SocketOption(string[] args, bool ok, string path)
    {
        Assert.Equal(ok, XenStoreDaemon.TryParseArgs(args, out var socketPath, out var problem));
        if (ok)
        {
            Assert.Equal(path, socketPath);
        }
        else
        {
            Assert.NotEmpty(problem);
        }
    }

    [Fact]
    public void RandomBytes_GetTheClientDropped_OthersKeepWorking()
    {
        using var daemon = new TempDaemon();
        using var good = new SocketClient(daemon.SocketPath);
        var random = new Random(7);
        for (var i = 0; i < 20; i++)
        {
            using var bad = new SocketClient(daemon.SocketPath);
            var junk = new byte[random.Next(1, 8192)];
            random.NextBytes(junk);
            bad.SendRaw(junk);
        }

        Assert.Equal("OK\0", good.Call(XsMessageType.Write, 0, "/still", "alive").Text);
        // The helper nul-terminates every argument, so the stored value carries that nul.
        Assert.Equal("alive\0", good.Call(XsMessageType.Read, 0, "/still").Text);
    }

    [Fact]
    public void TruncatedHeader_ThenHangup_IsHarmless()
    {
        using var daemon = new TempDaemon();
        using (var bad = new SocketClient(daemon.SocketPath))
        {
            bad.SendRaw([1, 0, 0, 0, 9, 0]);
        }

        using var good = new SocketClient(daemon.SocketPath);
        Assert.Equal(XsMessageType.Directory, good.Call(XsMessageType.Directory, 0, "/").Header.Type);
    }

    [Theory]
    [InlineData(4097u)]
    [InlineData(0x7fffffffu)]
    [InlineData(uint.MaxValue)]
    public void OversizedLength_DisconnectsThatClient(uint length)
    {
        using var daemon = new TempDaemon();
        using var bad = new SocketClient(daemon.SocketPath);
        var header = new byte[XsHeader.Size];
        new XsHeader(XsMessageType.Write, 1, 0, length).Write(header);
        bad.SendRaw(header);
        if (length == 4097u)
        {
            // the daemon may drop the client on the header alone, before this arrives (EPIPE here): either way it must be gone
            bad.TrySendRaw(new byte[4097]);
        }

        Assert.True(bad.IsClosedByPeer(), "the daemon kept a client that announced an oversized payload");
        using var good = new SocketClient(daemon.SocketPath);
        Assert.Equal("OK\0", good.Call(XsMessageType.Mkdir, 0, "/ok").Text);
    }

    [Fact]
    public void MaximumPayload_IsServed()
    {
        using var daemon = new TempDaemon();
        using var client = new SocketClient(daemon.SocketPath);
        // Path, nul, value, nul: exactly XENSTORE_PAYLOAD_MAX bytes.
        var value = new string('v', XsHeader.PayloadMax - "/max\0".Length - 1);
        Assert.Equal("OK\0", client.Call(XsMessageType.Write, 0, "/max", value).Text);
        var read = client.Call(XsMessageType.Read, 0, "/max");
        Assert.Equal(XsHeader.PayloadMax - "/max\0".Length, read.Payload.Length);
    }

    [Fact]
    public void WatchFlood_IsCappedPerConnection()
    {
        using var daemon = new TempDaemon();
        using var flood = new SocketClient(daemon.SocketPath);
        var errors = 0;
        for (var i = 0; i < 200; i++)
        {
            var reply = flood.Call(XsMessageType.Watch, 0, "/flood", "t" + i);
            if (reply.Header.Type == XsMessageType.Error)
            {
                Assert.Equal("E2BIG\0", reply.Text);
                errors++;
            }
        }

        Assert.Equal(200 - daemon.Daemon.Store.Quotas.WatchesPerConnection, errors);
        using var good = new SocketClient(daemon.SocketPath);
        Assert.Equal("OK\0", good.Call(XsMessageType.Write, 0, "/flood/x", "1").Text);
    }

    [Fact]
    public void TransactionFlood_IsCappedPerConnection()
    {
        using var daemon = new TempDaemon();
        using var flood = new SocketClient(daemon.SocketPath);
        var errors = 0;
        for (var i = 0; i < 50; i++)
        {
            var reply = flood.Call(XsMessageType.TransactionStart, 0, string.Empty);
            if (reply.Header.Type == XsMessageType.Error)
            {
                Assert.Equal("ENOSPC\0", reply.Text);
                errors++;
            }
        }

        Assert.Equal(40, errors);
        using var good = new SocketClient(daemon.SocketPath);
        var tx = uint.Parse(good.Call(XsMessageType.TransactionStart, 0, string.Empty).Strings[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("OK\0", good.Call(XsMessageType.Write, tx, "/t", "1").Text);
        Assert.Equal("OK\0", good.Call(XsMessageType.TransactionEnd, tx, "T").Text);
    }

    [Fact]
    public void ClientThatNeverReads_IsCutOff_AndDoesNotStallOthers()
    {
        using var daemon = new TempDaemon(new XsQuotas { MaxQueuedMessages = 64, MaxQueuedBytes = 64 * 1024 });
        using var deaf = new SocketClient(daemon.SocketPath);
        deaf.Send(XsMessageType.Watch, 0, "/", "all");
        using var writer = new SocketClient(daemon.SocketPath);
        var value = new string('x', 3000);
        for (var i = 0; i < 400; i++)
        {
            Assert.Equal("OK\0", writer.Call(XsMessageType.Write, 0, "/noise", value).Text);
        }

        Assert.True(deaf.IsClosedByPeer(), "a client that never reads was kept while its events piled up");
    }

    [Fact]
    public void PipelinedRequests_BeyondTheOutstandingQuota_AreAllAnsweredInOrder()
    {
        using var daemon = new TempDaemon();
        using var client = new SocketClient(daemon.SocketPath);
        for (var i = 0; i < 100; i++)
        {
            client.Send(XsMessageType.Write, 0, "/pipe/n" + i, "v");
        }

        for (var i = 0; i < 100; i++)
        {
            var reply = client.Receive();
            Assert.Equal((uint)(i + 1), reply.Header.RequestId);
            Assert.Equal("OK\0", reply.Text);
        }
    }
}
