using System.Net.Sockets;
using Xenon.Store.Tree;
using Xenon.Store.Wire;

namespace Xenon.Toolstack.XenStore;

/// <summary>
/// A xenstored client on its Unix socket (Xen's xs_wire.h protocol, framed with Xenon.Store's
/// <see cref="XsFramer"/>/<see cref="XsHeader"/> so there is one parser per format). Requests are
/// sent one at a time and answered in order, or a batch of them at once (<see cref="Send"/>); watch
/// events that arrive in between are queued and handed out by <see cref="WaitForWatchEvent"/>.
/// Thread-safe: one request (or batch) at a time, under a lock.
/// Errors from the daemon are <see cref="XsClientException"/> with the xsd_errors entry.
/// </summary>
public sealed class XsClient : IDisposable
{
    /// <summary>How long a reply may take before the daemon is considered gone.</summary>
    public static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Requests of an <see cref="XsBatch"/> sent in one write before their replies are read. Beyond
    /// xenstored's limit of unanswered requests per connection (quota_req_outstanding, 20) it stops reading us until
    /// it has answered; the rest wait in the socket's buffer (a group is at most <see cref="PipelineBytes"/>, far
    /// below it), so a create's ~95 requests cost two round trips, not six.</summary>
    public const int PipelineDepth = 64;

    /// <summary>The most bytes of requests one group carries (the socket buffers hold several times this).</summary>
    public const int PipelineBytes = 32 * 1024;

    private readonly Socket _socket;
    private readonly Lock _lock = new();
    private readonly Queue<XsWatchEvent> _events = new();
    private readonly byte[] _frame = new byte[XsHeader.Size + XsHeader.PayloadMax];
    // Replies are read into this buffer as they come, several frames per recv when pipelined (not a header and a
    // payload recv each): bytes [_rxStart, _rxEnd) are received and not yet parsed.
    private readonly byte[] _rx = new byte[2 * (XsHeader.Size + XsHeader.PayloadMax)];
    private int _rxStart, _rxEnd;
    private uint _nextRequestId = 1;

    private XsClient(Socket socket, string path)
    {
        _socket = socket;
        SocketPath = path;
    }

    public string SocketPath { get; }

    /// <summary>Connects to the daemon at <paramref name="path"/>; a <see cref="SocketException"/> if nobody answers.</summary>
    public static XsClient Connect(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
            socket.ReceiveTimeout = (int)ReplyTimeout.TotalMilliseconds;
            return new XsClient(socket, path);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A node's value, or null if it does not exist.</summary>
    public string? Read(string path, uint tx = 0)
    {
        // A missing node is an answer here, not a failure: no exception thrown and caught for it.
        var error = TryCallRaw(XsMessageType.Read, tx, EncodeArgs(XsMessageType.Read, path), path, out var reply);
        if (error is null) return XsPayload.ToText(reply);
        if (error.Error == XsError.ENOENT) return null;
        throw error;
    }

    public void Write(string path, string value, uint tx = 0) => CallRaw(XsMessageType.Write, tx, EncodeWrite(path, value), path);

    /// <summary>WRITE's payload: the path nul-terminated, then the value, which (alone among arguments) is not.</summary>
    internal static byte[] EncodeWrite(string path, string value)
    {
        int pathBytes = path.Length + 1;
        if (pathBytes + value.Length > XsHeader.PayloadMax)
            throw new XsClientException(XsError.E2BIG, $"xenstore write {path}: value too large");
        var payload = new byte[pathBytes + value.Length];
        XsPayload.FromText(path, payload);
        XsPayload.FromText(value, payload.AsSpan(pathBytes));
        return payload;
    }

    public void Mkdir(string path, uint tx = 0) => Call(XsMessageType.Mkdir, tx, path);

    /// <summary>Removes a node and everything below it; a missing node is not an error.</summary>
    public void Rm(string path, uint tx = 0)
    {
        try
        {
            Call(XsMessageType.Rm, tx, path);
        }
        catch (XsClientException e) when (e.Error == XsError.ENOENT) { }
    }

    /// <summary>The children's names, or an empty list if the node does not exist.</summary>
    public IReadOnlyList<string> Directory(string path, uint tx = 0)
    {
        var error = TryCallRaw(XsMessageType.Directory, tx, EncodeArgs(XsMessageType.Directory, path), path, out var reply);
        if (error is null) return SplitStrings(reply);
        if (error.Error == XsError.ENOENT) return [];
        if (error.Error == XsError.E2BIG) return DirectoryInParts(path, tx);
        throw error;
    }

    // Too many children for one reply: DIRECTORY_PART pages through them (generation, then names, ending with an empty one).
    private List<string> DirectoryInParts(string path, uint tx)
    {
        var names = new List<string>();
        string? generation = null;
        int offset = 0;
        while (true)
        {
            var reply = Call(XsMessageType.DirectoryPart, tx, path, offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var parts = SplitStrings(reply, keepEmpty: true);
            if (parts.Count == 0) throw new XsClientException(XsError.EIO, $"xenstore directory {path}: empty DIRECTORY_PART reply");
            if (generation is not null && parts[0] != generation) { names.Clear(); offset = 0; generation = null; continue; }
            generation = parts[0];
            for (int i = 1; i < parts.Count; i++)
            {
                if (parts[i].Length == 0) return names;
                names.Add(parts[i]);
                offset += parts[i].Length + 1;
            }
        }
    }

    public IReadOnlyList<XsPerm> GetPerms(string path, uint tx = 0)
    {
        var perms = new List<XsPerm>();
        foreach (var p in SplitStrings(Call(XsMessageType.GetPerms, tx, path)))
        {
            if (!XsPerm.TryParse(System.Text.Encoding.Latin1.GetBytes(p), out var perm))
                throw new XsClientException(XsError.EIO, $"xenstore get-perms {path}: malformed entry '{p}'");
            perms.Add(perm);
        }
        return perms;
    }

    /// <summary>Sets a node's permissions: the first entry is the owner and the default for everyone else.</summary>
    public void SetPerms(string path, IReadOnlyList<XsPerm> perms, uint tx = 0)
    {
        var args = new string[perms.Count + 1];
        args[0] = path;
        for (int i = 0; i < perms.Count; i++) args[i + 1] = perms[i].ToString();
        Call(XsMessageType.SetPerms, tx, args);
    }

    public uint TransactionStart()
    {
        var reply = Call(XsMessageType.TransactionStart, 0, "");
        if (!XsPayload.TryParseUInt(TrimNul(reply), uint.MaxValue, out var id) || id == 0)
            throw new XsClientException(XsError.EIO, "xenstore transaction-start: malformed transaction id");
        return id;
    }

    /// <summary>Commits (or aborts) a transaction; false when the commit failed with EAGAIN (someone else changed what it read).</summary>
    public bool TransactionEnd(uint tx, bool commit)
    {
        try
        {
            Call(XsMessageType.TransactionEnd, tx, commit ? "T" : "F");
            return true;
        }
        catch (XsClientException e) when (e.Error == XsError.EAGAIN && commit)
        {
            return false;
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> in a transaction and commits it, starting again when the commit
    /// reports EAGAIN (as libxl's transaction loop does). An exception aborts the transaction.
    /// </summary>
    public void Transact(Action<uint> body, int maxAttempts = 50)
    {
        for (int attempt = 1; ; attempt++)
        {
            uint tx = TransactionStart();
            try
            {
                body(tx);
            }
            catch
            {
                TryAbort(tx);
                throw;
            }
            if (TransactionEnd(tx, commit: true)) return;
            if (attempt >= maxAttempts)
                throw new XsClientException(XsError.EAGAIN, $"xenstore transaction still conflicting after {maxAttempts} attempts");
            Thread.Sleep(Math.Min(attempt, 20));
        }
    }

    private void TryAbort(uint tx)
    {
        try
        {
            TransactionEnd(tx, commit: false);
        }
        catch (XsClientException) { }
    }

    /// <summary>Registers a watch; xenstored fires it once at once, then on every change at or below <paramref name="path"/>.</summary>
    public void Watch(string path, string token) => Call(XsMessageType.Watch, 0, path, token);

    public void Unwatch(string path, string token) => Call(XsMessageType.Unwatch, 0, path, token);

    /// <summary>The next watch event, or null if none arrives within <paramref name="timeout"/>.</summary>
    public XsWatchEvent? WaitForWatchEvent(TimeSpan timeout)
    {
        lock (_lock)
        {
            if (_events.Count > 0) return _events.Dequeue();
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) return null;
                // Bytes already received are read before waiting on the socket (they may hold the event).
                if (_rxEnd == _rxStart && !_socket.Poll((int)Math.Min(left.TotalMicroseconds, int.MaxValue), SelectMode.SelectRead)) return null;
                var header = ReceiveFrame(out var payload);
                if (header.Type == XsMessageType.WatchEvent)
                {
                    QueueEvent(payload);
                    return _events.Dequeue();
                }
                throw new XsClientException(XsError.EIO, $"xenstore: unexpected {header.Type} message while waiting for a watch event");
            }
        }
    }

    /// <summary>Tells xenstored a domain exists (mfn and event channel are recorded only); fires @introduceDomain.</summary>
    public void Introduce(int domId, ulong mfn, uint port) =>
        Call(XsMessageType.Introduce, 0, Num(domId), mfn.ToString(System.Globalization.CultureInfo.InvariantCulture),
            port.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Tells xenstored the domain is gone; fires @releaseDomain. False if it was not introduced.</summary>
    public bool Release(int domId)
    {
        try
        {
            Call(XsMessageType.Release, 0, Num(domId));
            return true;
        }
        catch (XsClientException e) when (e.Error == XsError.ENOENT)
        {
            return false;
        }
    }

    public bool IsDomainIntroduced(int domId) => TrimNul(Call(XsMessageType.IsDomainIntroduced, 0, Num(domId))).SequenceEqual("T"u8);

    public string GetDomainPath(int domId) => XsPayload.ToText(TrimNul(Call(XsMessageType.GetDomainPath, 0, Num(domId))));

    private static string Num(int n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private byte[] Call(XsMessageType type, uint tx, params string[] args) =>
        CallRaw(type, tx, EncodeArgs(type, args), args.Length > 0 ? args[0] : "");

    /// <summary>The usual payload: every argument nul-terminated.</summary>
    internal static byte[] EncodeArgs(XsMessageType type, params string[] args)
    {
        int length = 0;
        foreach (var a in args) length += a.Length + 1;
        if (length > XsHeader.PayloadMax)
            throw new XsClientException(XsError.E2BIG, $"xenstore {type}: request too large");
        var payload = new byte[length];
        int at = 0;
        foreach (var a in args)
        {
            at += XsPayload.FromText(a, payload.AsSpan(at));
            payload[at++] = 0;
        }
        return payload;
    }

    /// <summary>
    /// Sends the batch's requests <see cref="PipelineDepth"/> at a time, each group in one write, then reads the group's
    /// replies. The first failure (a missing node is none for RM) is thrown once its group is answered, and no later
    /// group is sent: inside a transaction (<see cref="Transact"/>) that aborts it all, as a failed single request does.
    /// </summary>
    public void Send(XsBatch batch, uint tx = 0)
    {
        ArgumentNullException.ThrowIfNull(batch);
        Pipeline(batch, tx, null);
    }

    /// <summary>
    /// Sends the batch's questions (and any other requests) pipelined as <see cref="Send"/> does and returns every
    /// answer in order; xenstored's error answers (ENOENT for a missing node) are replies, not exceptions. A broken
    /// connection or a reply out of step throws.
    /// </summary>
    public XsReply[] Query(XsBatch batch, uint tx = 0)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var replies = new XsReply[batch.Count];
        Pipeline(batch, tx, replies);
        return replies;
    }

    // With replies null, the first daemon error (other than a tolerated ENOENT) stops the batch after its group.
    private void Pipeline(XsBatch batch, uint tx, XsReply[]? replies)
    {
        var requests = batch.Requests;
        int largest = 0;
        for (int start = 0; start < requests.Count;)
        {
            int count = GroupSize(requests, start, out int bytes);
            largest = Math.Max(largest, bytes);
            start += count;
        }
        var frames = new byte[largest];
        Span<uint> ids = stackalloc uint[PipelineDepth];
        lock (_lock)
        {
            for (int start = 0; start < requests.Count;)
            {
                int count = GroupSize(requests, start, out _), length = 0;
                for (int i = 0; i < count; i++)
                {
                    var r = requests[start + i];
                    ids[i] = _nextRequestId++;
                    length += XsFramer.WriteFrame(frames.AsSpan(length), r.Type, ids[i], tx, r.Payload);
                }
                XsClientException? failure = null;
                try
                {
                    _socket.Send(frames.AsSpan(0, length));
                    for (int i = 0; i < count; i++)
                    {
                        var r = requests[start + i];
                        var error = ReceiveReply(r.Type, ids[i], r.What, out var reply);
                        if (replies is not null) replies[start + i] = new XsReply(error is null ? reply : null, error?.Error);
                        else if (error is not null && !(r.MissingOk && error.Error == XsError.ENOENT)) failure ??= error;
                    }
                }
                catch (SocketException e)
                {
                    throw new XsClientException($"xenstore batch of {requests.Count}: connection to {SocketPath} failed: {e.Message}", e);
                }
                if (failure is not null) throw failure;
                start += count;
            }
        }
    }

    // How many requests from start go in one write, and their bytes: at most PipelineDepth and PipelineBytes (always
    // at least one).
    private static int GroupSize(IReadOnlyList<XsBatch.Request> requests, int start, out int bytes)
    {
        int count = 0;
        bytes = 0;
        while (start + count < requests.Count && count < PipelineDepth)
        {
            int next = XsHeader.Size + requests[start + count].Payload.Length;
            if (count > 0 && bytes + next > PipelineBytes) break;
            bytes += next;
            count++;
        }
        return count;
    }

    private byte[] CallRaw(XsMessageType type, uint tx, byte[] payload, string what)
    {
        if (TryCallRaw(type, tx, payload, what, out var reply) is { } error) throw error;
        return reply;
    }

    // The daemon's error answer is returned, not thrown (a transport failure is thrown).
    private XsClientException? TryCallRaw(XsMessageType type, uint tx, byte[] payload, string what, out byte[] reply)
    {
        lock (_lock)
        {
            uint id = _nextRequestId++;
            int n = XsFramer.WriteFrame(_frame, type, id, tx, payload);
            try
            {
                _socket.Send(_frame.AsSpan(0, n));
                return ReceiveReply(type, id, what, out reply);
            }
            catch (SocketException e)
            {
                throw new XsClientException($"xenstore {type} {what}: connection to {SocketPath} failed: {e.Message}", e);
            }
        }
    }

    /// <summary>Reads the reply to request <paramref name="id"/> (queueing watch events that come first). The daemon's
    /// error answer is returned, not thrown, so a pipelined batch can read the rest of its replies; a reply that does
    /// not fit the request is thrown (the stream is out of step).</summary>
    private XsClientException? ReceiveReply(XsMessageType type, uint id, string what, out byte[] reply)
    {
        while (true)
        {
            var header = ReceiveFrame(out reply);
            if (header.Type == XsMessageType.WatchEvent)
            {
                QueueEvent(reply);
                continue;
            }
            if (header.RequestId != id)
                throw new XsClientException(XsError.EIO, $"xenstore: reply to request {header.RequestId}, expected {id}");
            if (header.Type == XsMessageType.Error)
            {
                XsErrors.TryParse(reply, out var error);
                return new XsClientException(error, $"xenstore {type} {what}: {error}");
            }
            if (header.Type != type)
                throw new XsClientException(XsError.EIO, $"xenstore {type} {what}: reply of type {header.Type}");
            return null;
        }
    }

    private void QueueEvent(byte[] payload)
    {
        var parts = SplitStrings(payload, keepEmpty: true);
        if (parts.Count >= 2) _events.Enqueue(new XsWatchEvent(parts[0], parts[1]));
    }

    private XsHeader ReceiveFrame(out byte[] payload)
    {
        Fill(XsHeader.Size);
        var header = XsHeader.Read(_rx.AsSpan(_rxStart, XsHeader.Size));
        if (header.Length > XsHeader.PayloadMax)
            throw new XsClientException(XsError.EIO, $"xenstore: reply of {header.Length} bytes exceeds the protocol maximum");
        Fill(XsHeader.Size + (int)header.Length);
        payload = _rx.AsSpan(_rxStart + XsHeader.Size, (int)header.Length).ToArray();
        _rxStart += XsHeader.Size + (int)header.Length;
        if (_rxStart == _rxEnd) _rxStart = _rxEnd = 0;
        return header;
    }

    // Until at least `count` unparsed bytes are buffered: each recv takes whatever has arrived (a whole group of
    // pipelined replies at once, typically).
    private void Fill(int count)
    {
        if (_rxEnd - _rxStart >= count) return;
        if (_rx.Length - _rxStart < count)
        {
            // Not enough room after the unparsed bytes: move them to the front (count is at most one frame, half _rx).
            _rx.AsSpan(_rxStart, _rxEnd - _rxStart).CopyTo(_rx);
            _rxEnd -= _rxStart;
            _rxStart = 0;
        }
        while (_rxEnd - _rxStart < count)
        {
            int n = _socket.Receive(_rx.AsSpan(_rxEnd));
            if (n <= 0) throw new XsClientException(null, $"xenstore: {SocketPath} closed the connection");
            _rxEnd += n;
        }
    }

    private static ReadOnlySpan<byte> TrimNul(ReadOnlySpan<byte> b) => b.Length > 0 && b[^1] == 0 ? b[..^1] : b;

    internal static List<string> SplitStrings(ReadOnlySpan<byte> payload, bool keepEmpty = false)
    {
        var list = new List<string>();
        int start = 0;
        for (int i = 0; i < payload.Length; i++)
        {
            if (payload[i] != 0) continue;
            if (keepEmpty || i > start) list.Add(XsPayload.ToText(payload[start..i]));
            start = i + 1;
        }
        if (start < payload.Length) list.Add(XsPayload.ToText(payload[start..]));
        return list;
    }

    public void Dispose() => _socket.Dispose();
}
