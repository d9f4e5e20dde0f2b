using Xenon.Store.Tree;
using Xenon.Store.Wire;

namespace Xenon.Store.Store;

/// <summary>
/// The store and its request semantics, without any socket: feed it one framed request at a time
/// and it answers through the connection's sink. All state is guarded by one lock, so requests
/// from all connections are applied one after another, as in single-threaded C xenstored.
/// Every request gets exactly one reply; nothing a client sends makes it throw.
/// </summary>
public sealed partial class XenStore
{
    private const XsPermAccess AllAccess = XsPermAccess.Read | XsPermAccess.Write | XsPermAccess.Owner;

    private readonly Lock _lock = new();
    private readonly XsTree _tree = new();
    private readonly XsDomainTable _domains = new();
    private readonly List<XsConnection> _connections = [];
    private readonly byte[] _replyBuffer = new byte[XsHeader.PayloadMax + 64];
    private XsPerm[] _introducePerms = [new XsPerm(0, XsPermAccess.None)];
    private XsPerm[] _releasePerms = [new XsPerm(0, XsPermAccess.None)];

    // The request being processed; valid only under _lock.
    private XsHeader _request;
    private bool _replied;

    /// <summary>Creates an empty store (/, /tool, /tool/xenstored) with the given quotas.</summary>
    public XenStore(XsQuotas? quotas = null)
    {
        Quotas = quotas ?? new XsQuotas();
    }

    /// <summary>Limits in force.</summary>
    public XsQuotas Quotas { get; }

    /// <summary>Number of nodes committed.</summary>
    public int NodeCount
    {
        get
        {
            lock (_lock)
            {
                return _tree.TotalNodes;
            }
        }
    }

    /// <summary>Registers a client. Socket clients are domain 0, privileged.</summary>
    public XsConnection Connect(IXsMessageSink sink, uint domId = 0, bool privileged = true)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var conn = new XsConnection(sink, domId, privileged);
        lock (_lock)
        {
            _connections.Add(conn);
        }

        return conn;
    }

    /// <summary>Forgets a client: its watches go and its open transactions are aborted.</summary>
    public void Disconnect(XsConnection conn)
    {
        ArgumentNullException.ThrowIfNull(conn);
        lock (_lock)
        {
            conn.IsClosed = true;
            conn.Watches.Clear();
            conn.Transactions.Clear();
            _connections.Remove(conn);
        }
    }

    /// <summary>Handles one request whose payload is at most XENSTORE_PAYLOAD_MAX bytes.</summary>
    public void Process(XsConnection conn, in XsHeader header, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(conn);
        lock (_lock)
        {
            if (conn.IsClosed)
            {
                return;
            }

            _request = header;
            _replied = false;
            if (payload.Length > XsHeader.PayloadMax || payload.Length != header.Length)
            {
                SendError(conn, XsError.EINVAL);
                return;
            }

            var error = Dispatch(conn, payload);
            if (error is { } e)
            {
                SendError(conn, e);
            }
            else if (!_replied)
            {
                // A handler that forgot to answer would hang the client; make it visible instead.
                SendError(conn, XsError.EIO);
            }
        }
    }

    private XsError? Dispatch(XsConnection conn, ReadOnlySpan<byte> payload)
    {
        var type = _request.Type;
        if (IsPrivilegedOnly(type) && !conn.IsPrivileged)
        {
            return XsError.EACCES;
        }

        // WATCH and UNWATCH ignore the transaction id, as in C xenstored.
        IXsNodeStore view = _tree;
        if (type is not (XsMessageType.Watch or XsMessageType.Unwatch) && _request.TransactionId != 0)
        {
            if (!conn.Transactions.TryGetValue(_request.TransactionId, out var tx))
            {
                return XsError.ENOENT;
            }

            view = tx;
        }

        return type switch
        {
            XsMessageType.Control => DoControl(conn, payload),
            XsMessageType.Directory => DoDirectory(conn, view, payload),
            XsMessageType.Read => DoRead(conn, view, payload),
            XsMessageType.GetPerms => DoGetPerms(conn, view, payload),
            XsMessageType.Watch => DoWatch(conn, payload),
            XsMessageType.Unwatch => DoUnwatch(conn, payload),
            XsMessageType.TransactionStart => DoTransactionStart(conn, view),
            XsMessageType.TransactionEnd => DoTransactionEnd(conn, view, payload),
            XsMessageType.Introduce => DoIntroduce(conn, payload),
            XsMessageType.Release => DoRelease(conn, payload),
            XsMessageType.GetDomainPath => DoGetDomainPath(conn, payload),
            XsMessageType.Write => DoWrite(conn, view, payload),
            XsMessageType.Mkdir => DoMkdir(conn, view, payload),
            XsMessageType.Rm => DoRm(conn, view, payload),
            XsMessageType.SetPerms => DoSetPerms(conn, view, payload),
            XsMessageType.IsDomainIntroduced => DoIsDomainIntroduced(conn, payload),
            XsMessageType.Resume => DoResume(conn, payload),
            XsMessageType.SetTarget => DoSetTarget(conn, payload),
            XsMessageType.ResetWatches => DoResetWatches(conn),
            XsMessageType.DirectoryPart => DoDirectoryPart(conn, view, payload),
            // WATCH_EVENT and ERROR are daemon-to-client only; 20 (RESTRICT) is gone; the rest are unknown.
            _ => XsError.ENOSYS,
        };
    }

    private static bool IsPrivilegedOnly(XsMessageType type) => type is XsMessageType.Control or XsMessageType.Introduce
        or XsMessageType.Release or XsMessageType.IsDomainIntroduced or XsMessageType.Resume or XsMessageType.SetTarget;

    private void Reply(XsConnection conn, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > XsHeader.PayloadMax)
        {
            SendError(conn, XsError.E2BIG);
            return;
        }

        _replied = true;
        conn.Sink.Send(new XsHeader(_request.Type, _request.RequestId, _request.TransactionId, (uint)payload.Length), payload);
    }

    private void ReplyOk(XsConnection conn) => Reply(conn, "OK\0"u8);

    private void ReplyText(XsConnection conn, string text)
    {
        if (text.Length + 1 > XsHeader.PayloadMax)
        {
            SendError(conn, XsError.E2BIG);
            return;
        }

        var n = XsPayload.FromText(text, _replyBuffer);
        _replyBuffer[n] = 0;
        Reply(conn, _replyBuffer.AsSpan(0, n + 1));
    }

    private void SendError(XsConnection conn, XsError error)
    {
        _replied = true;
        var payload = XsErrors.Payload(error);
        conn.Sink.Send(new XsHeader(XsMessageType.Error, _request.RequestId, _request.TransactionId, (uint)payload.Length), payload);
    }

    /// <summary>C xenstored's perm_for_conn: privileged and owners get everything, then the first matching entry, then the default.</summary>
    private XsPermAccess PermFor(XsConnection conn, XsPerm[] perms)
    {
        var target = _domains.TargetOf(conn.DomId);
        if (conn.IsPrivileged || perms[0].DomId == conn.DomId || (target is { } t0 && perms[0].DomId == t0))
        {
            return AllAccess;
        }

        for (var i = 1; i < perms.Length; i++)
        {
            if (perms[i].DomId == conn.DomId || (target is { } t && perms[i].DomId == t))
            {
                return perms[i].Access & (XsPermAccess.Read | XsPermAccess.Write);
            }
        }

        return perms[0].Access & (XsPermAccess.Read | XsPermAccess.Write);
    }

    /// <summary>
    /// Looks a node up with an access check. When it fails, the error says ENOENT only if the
    /// nearest existing ancestor would let the client see that (C's errno_from_parents).
    /// </summary>
    private XsNode? GetNode(XsConnection conn, IXsNodeStore view, string name, XsPermAccess perm, out XsError error)
    {
        error = XsError.EINVAL;
        if (!XsPath.IsValidNodeName(name, Quotas.MaxPathLength))
        {
            return null;
        }

        var node = view.Get(name);
        if (node is not null)
        {
            if ((PermFor(conn, node.Perms) & perm) == perm)
            {
                return node;
            }

            error = XsError.EACCES;
        }
        else
        {
            error = XsError.ENOENT;
        }

        XsNode? ancestor = null;
        var path = name;
        while (ancestor is null && path != "/")
        {
            path = XsPath.Parent(path);
            ancestor = view.Get(path);
        }

        if (ancestor is null || (PermFor(conn, ancestor.Perms) & perm) == 0)
        {
            error = XsError.EACCES;
        }

        return null;
    }

    private static bool TryOnePath(XsConnection conn, ReadOnlySpan<byte> payload, out string name)
    {
        name = string.Empty;
        if (!XsPayload.TryOneArg(payload, out var arg))
        {
            return false;
        }

        name = XsPath.Canonicalize(XsPayload.ToText(arg), conn.DomainPath);
        return true;
    }
}
