using System.Text;
using Xenon.Store.Server;
using Xenon.Store.Wire;

namespace Xenon.Store.Tests;

/// <summary>The per-client output queue: replies already queued leave in one write, in order, each counted once.</summary>
public class OutputQueueTests
{
    private static XsHeader Header(XsMessageType type, uint id, int length) => new(type, id, 0, (uint)length);

    [Fact]
    public async Task QueuedMessages_GoOutInOneWrite_InOrder_EachReplyCounted()
    {
        var queue = new XsOutputQueue(1000, 1 << 20, () => Assert.Fail("overflow"));
        for (uint i = 0; i < 16; i++)
        {
            queue.Send(Header(i == 5 ? XsMessageType.WatchEvent : XsMessageType.Write, i, 3), "OK\0"u8);
        }

        queue.Complete();
        var writes = new List<byte[]>();
        var replies = 0;
        await queue.DrainAsync((data, _) => { writes.Add(data.ToArray()); return ValueTask.CompletedTask; }, () => replies++, TestContext.Current.CancellationToken);

        var all = Assert.Single(writes);
        Assert.Equal(16 * (XsHeader.Size + 3), all.Length);
        Assert.Equal(15, replies);
        for (var i = 0; i < 16; i++)
        {
            var frame = all.AsSpan(i * (XsHeader.Size + 3));
            var header = XsHeader.Read(frame);
            Assert.Equal((uint)i, header.RequestId);
            Assert.Equal("OK\0", Encoding.ASCII.GetString(frame.Slice(XsHeader.Size, 3)));
        }
    }

    [Fact]
    public async Task MoreThanOneWritesWorth_IsSplitAtMessageBoundaries()
    {
        var queue = new XsOutputQueue(1000, 1 << 22, () => Assert.Fail("overflow"));
        var payload = new byte[XsHeader.PayloadMax];
        const int count = 40; // 40 * (16 + 4096) bytes: more than one coalesced write
        for (uint i = 0; i < count; i++)
        {
            payload[0] = (byte)i;
            queue.Send(Header(XsMessageType.Read, i, payload.Length), payload);
        }

        queue.Complete();
        var writes = new List<byte[]>();
        var replies = 0;
        await queue.DrainAsync((data, _) => { writes.Add(data.ToArray()); return ValueTask.CompletedTask; }, () => replies++, TestContext.Current.CancellationToken);

        Assert.True(writes.Count > 1);
        Assert.All(writes, w => Assert.True(w.Length <= XsOutputQueue.CoalesceBytes && w.Length % (XsHeader.Size + XsHeader.PayloadMax) == 0));
        var all = writes.SelectMany(w => w).ToArray();
        Assert.Equal(count, replies);
        for (var i = 0; i < count; i++)
        {
            var frame = all.AsSpan(i * (XsHeader.Size + XsHeader.PayloadMax));
            Assert.Equal((uint)i, XsHeader.Read(frame).RequestId);
            Assert.Equal((byte)i, frame[XsHeader.Size]);
        }
    }

    [Fact]
    public async Task FailedWrite_EndsTheDrain_AndReturnsTheRest()
    {
        var queue = new XsOutputQueue(1000, 1 << 20, () => { });
        queue.Send(Header(XsMessageType.Write, 1, 3), "OK\0"u8);
        var replies = 0;
        await Assert.ThrowsAsync<IOException>(() => queue.DrainAsync((_, _) => throw new IOException("gone"), () => replies++, TestContext.Current.CancellationToken));
        Assert.Equal(0, replies);
    }

    [Fact]
    public void PipelinedRequests_InOneSend_GetEveryReplyInOrder()
    {
        using var daemon = new TempDaemon();
        using var client = new SocketClient(daemon.SocketPath);
        var frames = new List<byte>();
        for (uint i = 0; i < 16; i++)
        {
            var payload = Encoding.ASCII.GetBytes($"/p/n{i}\0v{i}");
            var frame = new byte[XsHeader.Size + payload.Length];
            XsFramer.WriteFrame(frame, XsMessageType.Write, 100 + i, 0, payload);
            frames.AddRange(frame);
        }

        client.SendRaw([.. frames]);
        for (uint i = 0; i < 16; i++)
        {
            var reply = client.Receive();
            Assert.Equal(XsMessageType.Write, reply.Header.Type);
            Assert.Equal(100 + i, reply.Header.RequestId);
            Assert.Equal("OK\0", reply.Text);
        }

        Assert.Equal("v15", client.Call(XsMessageType.Read, 0, "/p/n15").Text);
    }
}
