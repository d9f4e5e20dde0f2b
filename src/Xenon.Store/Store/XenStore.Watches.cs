using Xenon.Store.Tree;
using Xenon.Store.Wire;

namespace Xenon.Store.Store;

// WATCH, UNWATCH, RESET_WATCHES, and the firing of watch events.
public sealed partial class XenStore
{
    private XsError? DoWatch(XsConnection conn, ReadOnlySpan<byte> payload)
    {
        Span<Range> args = stackalloc Range[2];
        if (XsPayload.GetStrings(payload, args) != 2)
        {
            return XsError.EINVAL;
        }

        if (!TryWatchPath(conn, XsPayload.ToText(payload[args[0]]), out var path, out var prefix))
        {
            return XsError.EINVAL;
        }

        var token = payload[args[1]];
        foreach (var existing in conn.Watches)
        {
            if (existing.Path == path && token.SequenceEqual(existing.Token))
            {
                return XsError.EEXIST;
            }
        }

        if (conn.Watches.Count >= Quotas.WatchesPerConnection)
        {
            return XsError.E2BIG;
        }

        var watch = new XsWatch(path, token.ToArray(), prefix);
        conn.Watches.Add(watch);
        ReplyOk(conn);

        // Every new watch fires once at once: clients rely on it to read the initial state.
        SendEvent(conn, watch, path);
        return null;
    }

    private XsError? DoUnwatch(XsConnection conn, ReadOnlySpan<byte> payload)
    {
        Span<Range> args = stackalloc Range[2];
        if (XsPayload.GetStrings(payload, args) != 2)
        {
            return XsError.EINVAL;
        }

        if (!TryWatchPath(conn, XsPayload.ToText(payload[args[0]]), out var path, out _))
        {
            return XsError.EINVAL;
        }

        var token = payload[args[1]];
        for (var i = 0; i < conn.Watches.Count; i++)
        {
            if (conn.Watches[i].Path == path && token.SequenceEqual(conn.Watches[i].Token))
            {
                conn.Watches.RemoveAt(i);
                ReplyOk(conn);
                return null;
            }
        }

        return XsError.ENOENT;
    }

    private XsError? DoResetWatches(XsConnection conn)
    {
        conn.Watches.Clear();
        conn.Transactions.Clear();
        ReplyOk(conn);
        return null;
    }

    private bool TryWatchPath(XsConnection conn, string raw, out string path, out int relativePrefix)
    {
        relativePrefix = 0;
        if (XsPath.IsSpecial(raw))
        {
            path = raw;
            return XsPath.IsValidSpecialName(raw);
        }

        path = XsPath.Canonicalize(raw, conn.DomainPath);
        if (raw.Length == 0 || raw[0] != '/')
        {
            relativePrefix = conn.DomainPath.Length + 1;
        }

        return XsPath.IsValidNodeName(path, Quotas.MaxPathLength);
    }

    /// <summary>
    /// Fires the watches a change to <paramref name="name"/> triggers: with <paramref name="exact"/>
    /// only watches on that very path, otherwise watches on it and on every ancestor. Inside a
    /// transaction the events wait for the commit.
    /// </summary>
    private void FireWatches(IXsNodeStore view, string name, bool exact, XsPerm[] perms, XsPerm[]? oldPerms)
    {
        if (view is XsTransaction tx)
        {
            tx.QueueWatch(name, exact, perms, oldPerms);
            return;
        }

        FireCommitted(name, exact, perms, oldPerms);
    }

    private void FireCommitted(string name, bool exact, XsPerm[] perms, XsPerm[]? oldPerms)
    {
        foreach (var conn in _connections)
        {
            if (conn.Watches.Count == 0)
            {
                continue;
            }

            // An unprivileged watcher only hears about nodes it may read (before or after the change).
            if (!conn.IsPrivileged)
            {
                var readable = (PermFor(conn, perms) & XsPermAccess.Read) != 0
                    || (oldPerms is not null && (PermFor(conn, oldPerms) & XsPermAccess.Read) != 0);
                if (!readable)
                {
                    continue;
                }
            }

            foreach (var watch in conn.Watches)
            {
                var match = exact ? watch.Path == name : XsPath.IsChildOrSelf(name, watch.Path);
                if (match)
                {
                    SendEvent(conn, watch, name);
                }
            }
        }
    }

    private void FireSpecial(string name)
    {
        var perms = SpecialPerms(name) ?? [new XsPerm(0, XsPermAccess.None)];
        FireCommitted(name, exact: false, perms, null);
    }

    private void SendEvent(XsConnection conn, XsWatch watch, string path)
    {
        // A relative watch reports paths relative to the domain, as the client registered it.
        var shown = watch.RelativePrefixLength > 0 && path.Length > watch.RelativePrefixLength
            ? path.AsSpan(watch.RelativePrefixLength)
            : path.AsSpan();
        if (shown.Length + watch.Token.Length + 2 > XsHeader.PayloadMax)
        {
            return;
        }

        Span<byte> buffer = stackalloc byte[XsHeader.PayloadMax];
        var used = System.Text.Encoding.Latin1.GetBytes(shown, buffer);
        buffer[used++] = 0;
        watch.Token.CopyTo(buffer[used..]);
        used += watch.Token.Length;
        buffer[used++] = 0;
        conn.Sink.Send(new XsHeader(XsMessageType.WatchEvent, 0, 0, (uint)used), buffer[..used]);
    }

    private XsPerm[]? SpecialPerms(string name) => name switch
    {
        XsPath.IntroduceDomain => _introducePerms,
        XsPath.ReleaseDomain => _releasePerms,
        _ => null,
    };

    private XsError? SetSpecialPerms(XsConnection conn, string name, XsPerm[] perms)
    {
        if (SpecialPerms(name) is not { } current)
        {
            return XsError.EINVAL;
        }

        if ((PermFor(conn, current) & (XsPermAccess.Write | XsPermAccess.Owner)) != (XsPermAccess.Write | XsPermAccess.Owner))
        {
            return XsError.EACCES;
        }

        if (name == XsPath.IntroduceDomain)
        {
            _introducePerms = perms;
        }
        else
        {
            _releasePerms = perms;
        }

        ReplyOk(conn);
        return null;
    }
}
