using System.Text;
using Xenon.Store.Store;
using Xenon.Store.Wire;

namespace Xenon.Store.Tests;

/// <summary>A message the store sent, decoded for assertions.</summary>
internal sealed record SentMessage(XsHeader Header, byte[] Payload)
{
    public string Text => Encoding.Latin1.GetString(Payload);

    /// <summary>Payload split at nuls, dropping the empty tail after the last nul.</summary>
    public string[] Strings
    {
        get
        {
            var parts = Text.Split('\0');
            return Text.EndsWith('\0') ? parts[..^1] : parts;
        }
    }

    public override string ToString() => $"{Header.Type} req={Header.RequestId} tx={Header.TransactionId} \"{Text.Replace("\0", "\\0", StringComparison.Ordinal)}\"";
}

/// <summary>Collects what the store sends to one connection.</summary>
internal sealed class RecordingSink : IXsMessageSink
{
    public List<SentMessage> Messages { get; } = [];

    public void Send(in XsHeader header, ReadOnlySpan<byte> payload)
    {
        Assert.Equal(header.Length, (uint)payload.Length);
        Messages.Add(new SentMessage(header, payload.ToArray()));
    }

    public List<SentMessage> TakeEvents()
    {
        var events = Messages.Where(m => m.Header.Type == XsMessageType.WatchEvent).ToList();
        Messages.RemoveAll(m => m.Header.Type == XsMessageType.WatchEvent);
        return events;
    }
}

/// <summary>One client of an in-memory store, speaking in strings.</summary>
internal sealed class StoreClient
{
    private uint _nextRequest = 1;

    public StoreClient(XenStore store, uint domId = 0, bool privileged = true)
    {
        Store = store;
        Connection = store.Connect(Sink, domId, privileged);
    }

    public XenStore Store { get; }

    public XsConnection Connection { get; }

    public RecordingSink Sink { get; } = new();

    /// <summary>Sends a request made of nul-terminated strings; returns the one reply.</summary>
    public SentMessage Request(XsMessageType type, uint tx, params string[] args) =>
        RequestRaw(type, tx, Encoding.Latin1.GetBytes(string.Concat(args.Select(a => a + "\0"))));

    public SentMessage RequestRaw(XsMessageType type, uint tx, byte[] payload)
    {
        var reqId = _nextRequest++;
        var before = Sink.Messages.Count;
        Store.Process(Connection, new XsHeader(type, reqId, tx, (uint)payload.Length), payload);
        var replies = Sink.Messages.Skip(before).Where(m => m.Header.Type != XsMessageType.WatchEvent).ToList();
        Assert.True(replies.Count == 1, $"expected exactly one reply to {type}, got: {string.Join(" | ", replies)}");
        var reply = replies[0];
        Assert.Equal(reqId, reply.Header.RequestId);
        Assert.Equal(tx, reply.Header.TransactionId);
        Sink.Messages.Remove(reply);
        return reply;
    }

    public void Ok(XsMessageType type, uint tx, params string[] args)
    {
        var reply = Request(type, tx, args);
        Assert.True(reply.Header.Type == type && reply.Text == "OK\0", $"{type} {string.Join(' ', args)} -> {reply}");
    }

    public void Fails(XsError error, XsMessageType type, uint tx, params string[] args)
    {
        var reply = Request(type, tx, args);
        Assert.True(reply.Header.Type == XsMessageType.Error && reply.Text == error + "\0", $"{type} {string.Join(' ', args)}: expected {error}, got {reply}");
    }

    public void Write(string path, string value, uint tx = 0) =>
        Assert.Equal("OK\0", RequestRaw(XsMessageType.Write, tx, Encoding.Latin1.GetBytes(path + "\0" + value)).Text);

    public string Read(string path, uint tx = 0)
    {
        var reply = Request(XsMessageType.Read, tx, path);
        Assert.True(reply.Header.Type == XsMessageType.Read, $"read {path} -> {reply}");
        return reply.Text;
    }

    public string[] Directory(string path, uint tx = 0)
    {
        var reply = Request(XsMessageType.Directory, tx, path);
        Assert.True(reply.Header.Type == XsMessageType.Directory, $"directory {path} -> {reply}");
        return reply.Strings;
    }

    public uint Start()
    {
        var reply = Request(XsMessageType.TransactionStart, 0, string.Empty);
        Assert.True(reply.Header.Type == XsMessageType.TransactionStart, $"transaction start -> {reply}");
        return uint.Parse(reply.Strings[0], System.Globalization.CultureInfo.InvariantCulture);
    }
}
