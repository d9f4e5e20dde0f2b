using System.Globalization;
using Xenon.Store.Tree;
using Xenon.Store.Wire;

namespace Xenon.Store.Store;

// Node requests: DIRECTORY, DIRECTORY_PART, READ, WRITE, MKDIR, RM, GET_PERMS, SET_PERMS.
public sealed partial class XenStore
{
    private XsError? DoDirectory(XsConnection conn, IXsNodeStore view, ReadOnlySpan<byte> payload)
    {
        if (!TryOnePath(conn, payload, out var name))
        {
            return XsError.EINVAL;
        }

        var node = GetNode(conn, view, name, XsPermAccess.Read, out var error);
        if (node is null)
        {
            return error;
        }

        if (node.ChildrenWireLength > XsHeader.PayloadMax)
        {
            return XsError.E2BIG;
        }

        Reply(conn, _replyBuffer.AsSpan(0, WriteChildren(node, 0, _replyBuffer)));
        return null;
    }

    // Payload: path, byte offset into the children list. Reply: generation, the children that
    // fit, and an extra nul once the list is complete (C xenstored's send_directory_part).
    private XsError? DoDirectoryPart(XsConnection conn, IXsNodeStore view, ReadOnlySpan<byte> payload)
    {
        Span<Range> args = stackalloc Range[2];
        if (XsPayload.CountStrings(payload) != 2 || XsPayload.GetStrings(payload, args) != 2)
        {
            return XsError.EINVAL;
        }

        var name = XsPath.Canonicalize(XsPayload.ToText(payload[args[0]]), conn.DomainPath);
        var node = GetNode(conn, view, name, XsPermAccess.Read, out var error);
        if (node is null)
        {
            return error;
        }

        var offset = LeadingNumber(payload[args[1]]);
        var genText = node.Generation.ToString(CultureInfo.InvariantCulture);
        var used = XsPayload.FromText(genText, _replyBuffer);
        _replyBuffer[used++] = 0;
        var childLength = node.ChildrenWireLength;
        if (offset >= childLength)
        {
            _replyBuffer[used++] = 0;
            Reply(conn, _replyBuffer.AsSpan(0, used));
            return null;
        }

        // Children that fit beside the generation and the closing nul (C: len + strlen < maxlen).
        var max = XsHeader.PayloadMax - used - 1;
        var listed = 0;
        var position = 0;
        var complete = true;
        foreach (var child in node.Children)
        {
            var start = position;
            position += child.Length + 1;
            if (start < offset)
            {
                continue;
            }

            if (listed + child.Length >= max)
            {
                complete = false;
                break;
            }

            used += XsPayload.FromText(child, _replyBuffer.AsSpan(used));
            _replyBuffer[used++] = 0;
            listed += child.Length + 1;
        }

        if (complete)
        {
            _replyBuffer[used++] = 0;
        }

        Reply(conn, _replyBuffer.AsSpan(0, used));
        return null;
    }

    private XsError? DoRead(XsConnection conn, IXsNodeStore view, ReadOnlySpan<byte> payload)
    {
        if (!TryOnePath(conn, payload, out var name))
        {
            return XsError.EINVAL;
        }

        var node = GetNode(conn, view, name, XsPermAccess.Read, out var error);
        if (node is null)
        {
            return error;
        }

        Reply(conn, node.Value);
        return null;
    }

    // Payload: path, nul, then the value: every remaining byte, nuls included.
    private XsError? DoWrite(XsConnection conn, IXsNodeStore view, ReadOnlySpan<byte> payload)
    {
        var nul = payload.IndexOf((byte)0);
        if (nul < 0)
        {
            return XsError.EINVAL;
        }

        var name = XsPath.Canonicalize(XsPayload.ToText(payload[..nul]), conn.DomainPath);
        var value = payload[(nul + 1)..].ToArray();
        var node = GetNode(conn, view, name, XsPermAccess.Write, out var error);
        XsPerm[] perms;
        if (node is null)
        {
            if (error != XsError.ENOENT)
            {
                return error;
            }

            if (CreateNode(conn, view, name, value) is { } createError)
            {
                return createError;
            }

            perms = view.Get(name)!.Perms;
        }
        else
        {
            var changed = node.Clone();
            changed.Value = value;
            if (!FitsEntrySize(conn, changed))
            {
                return XsError.ENOSPC;
            }

            view.Put(changed);
            perms = changed.Perms;
        }

        FireWatches(view, name, exact: false, perms, null);
        ReplyOk(conn);
        return null;
    }

    private XsError? DoMkdir(XsConnection conn, IXsNodeStore view, ReadOnlySpan<byte> payload)
    {
        if (!TryOnePath(conn, payload, out var name))
        {
            return XsError.EINVAL;
        }

        var node = GetNode(conn, view, name, XsPermAccess.Write, out var error);
        if (node is null)
        {
            if (error != XsError.ENOENT)
            {
                return error;
            }

            if (CreateNode(conn, view, name, []) is { } createError)
            {
                return createError;
            }

            FireWatches(view, name, exact: false, view.Get(name)!.Perms, null);
        }

        ReplyOk(conn);
        return null;
    }

    private XsError? DoRm(XsConnection conn, IXsNodeStore view, ReadOnlySpan<byte> payload)
    {
        if (!TryOnePath(conn, payload, out var name))
        {
            return XsError.EINVAL;
        }

        var node = GetNode(conn, view, name, XsPermAccess.Write, out var error);
        if (node is null)
        {
            // Removing what is not there is fine as long as its parent is.
            if (error == XsError.ENOENT && view.Get(XsPath.Parent(name)) is not null)
            {
                ReplyOk(conn);
                return null;
            }

            return error;
        }

        if (name == "/")
        {
            return XsError.EINVAL;
        }

        var parent = view.Get(XsPath.Parent(name));
        if (parent is null)
        {
            return XsError.EINVAL;
        }

        FireWatches(view, name, exact: false, node.Perms, null);
        RemoveSubtree(conn, view, node, top: true);
        var changedParent = parent.Clone();
        changedParent.Children.Remove(XsPath.BaseName(name));
        view.Put(changedParent);
        ReplyOk(conn);
        return null;
    }

    private XsError? DoGetPerms(XsConnection conn, IXsNodeStore view, ReadOnlySpan<byte> payload)
    {
        if (!XsPayload.TryOneArg(payload, out var arg))
        {
            return XsError.EINVAL;
        }

        var raw = XsPayload.ToText(arg);
        XsPerm[] perms;
        if (XsPath.IsSpecial(raw))
        {
            if (SpecialPerms(raw) is not { } special)
            {
                return XsError.EINVAL;
            }

            perms = special;
        }
        else
        {
            var node = GetNode(conn, view, XsPath.Canonicalize(raw, conn.DomainPath), XsPermAccess.Read, out var error);
            if (node is null)
            {
                return error;
            }

            perms = node.Perms;
        }

        var used = 0;
        foreach (var perm in perms)
        {
            used += XsPayload.FromText(perm.ToString(), _replyBuffer.AsSpan(used));
            _replyBuffer[used++] = 0;
        }

        Reply(conn, _replyBuffer.AsSpan(0, used));
        return null;
    }

    // Payload: path, then one or more permission strings, each nul-terminated.
    private XsError? DoSetPerms(XsConnection conn, IXsNodeStore view, ReadOnlySpan<byte> payload)
    {
        var count = XsPayload.CountStrings(payload);
        if (count < 2)
        {
            return XsError.EINVAL;
        }

        var permCount = count - 1;
        if (!conn.IsPrivileged && permCount > Quotas.PermsPerNode)
        {
            return XsError.ENOSPC;
        }

        if (permCount > XsHeader.PayloadMax / 2)
        {
            return XsError.EINVAL;
        }

        var nul = payload.IndexOf((byte)0);
        var raw = XsPayload.ToText(payload[..nul]);
        var perms = new XsPerm[permCount];
        var rest = payload[(nul + 1)..];
        for (var i = 0; i < permCount; i++)
        {
            var end = rest.IndexOf((byte)0);
            if (!XsPerm.TryParse(rest[..end], out perms[i]))
            {
                return XsError.EINVAL;
            }

            rest = rest[(end + 1)..];
        }

        if (XsPath.IsSpecial(raw))
        {
            return SetSpecialPerms(conn, raw, perms);
        }

        var name = XsPath.Canonicalize(raw, conn.DomainPath);
        var node = GetNode(conn, view, name, XsPermAccess.Write | XsPermAccess.Owner, out var error);
        if (node is null)
        {
            return error;
        }

        // C answers EPERM here, which is not in xsd_errors and so reaches the client as EINVAL.
        if (!conn.IsPrivileged && perms[0].DomId != node.Owner)
        {
            return XsError.EINVAL;
        }

        var changed = node.Clone();
        changed.Perms = perms;
        if (!FitsEntrySize(conn, changed))
        {
            return XsError.ENOSPC;
        }

        if (!conn.IsPrivileged && changed.Owner != node.Owner && view.EntriesOwnedBy(changed.Owner) >= Quotas.EntriesPerDomain)
        {
            return XsError.ENOSPC;
        }

        view.Put(changed);
        FireWatches(view, name, exact: false, perms, node.Perms);
        ReplyOk(conn);
        return null;
    }

    /// <summary>Creates a node and any missing ancestors; checks every quota before changing anything.</summary>
    private XsError? CreateNode(XsConnection conn, IXsNodeStore view, string name, byte[] value)
    {
        var missing = new List<string> { name };
        var ancestorPath = XsPath.Parent(name);
        XsNode? ancestor;
        while ((ancestor = view.Get(ancestorPath)) is null)
        {
            missing.Add(ancestorPath);
            ancestorPath = XsPath.Parent(ancestorPath);
        }

        if (view.TotalNodes + missing.Count > Quotas.MaxTotalNodes)
        {
            return XsError.ENOSPC;
        }

        if (!conn.IsPrivileged && view.EntriesOwnedBy(conn.DomId) + missing.Count > Quotas.EntriesPerDomain)
        {
            return XsError.ENOSPC;
        }

        var created = new List<XsNode>(missing.Count + 1);
        var parent = ancestor.Clone();
        created.Add(parent);
        for (var i = missing.Count - 1; i >= 0; i--)
        {
            // New nodes inherit the parent's permissions; an unprivileged creator owns them.
            var perms = (XsPerm[])parent.Perms.Clone();
            if (!conn.IsPrivileged)
            {
                perms[0] = perms[0] with { DomId = conn.DomId };
            }

            var node = new XsNode(missing[i], i == 0 ? value : [], perms);
            parent.Children.Add(XsPath.BaseName(missing[i]));
            created.Add(node);
            parent = node;
        }

        foreach (var node in created)
        {
            if (!FitsEntrySize(conn, node))
            {
                return XsError.ENOSPC;
            }
        }

        foreach (var node in created)
        {
            view.Put(node);
        }

        return null;
    }

    private void RemoveSubtree(XsConnection conn, IXsNodeStore view, XsNode node, bool top)
    {
        foreach (var child in node.Children)
        {
            if (view.Get(XsPath.Combine(node.Path, child)) is { } childNode)
            {
                RemoveSubtree(conn, view, childNode, top: false);
            }
        }

        // Watches on a removed descendant fire for it by name; watches above fired already.
        if (!top)
        {
            FireWatches(view, node.Path, exact: true, node.Perms, null);
        }

        view.Remove(node.Path);
    }

    private bool FitsEntrySize(XsConnection conn, XsNode node) => conn.IsPrivileged || node.RecordSize < Quotas.MaxEntrySize;

    private static int WriteChildren(XsNode node, int start, Span<byte> destination)
    {
        var used = start;
        foreach (var child in node.Children)
        {
            used += XsPayload.FromText(child, destination[used..]);
            destination[used++] = 0;
        }

        return used;
    }

    // atoi: leading digits, anything else ends the number; no digits means 0.
    private static int LeadingNumber(ReadOnlySpan<byte> text)
    {
        long value = 0;
        foreach (var b in text)
        {
            if (b < (byte)'0' || b > (byte)'9')
            {
                break;
            }

            value = Math.Min(int.MaxValue, (value * 10) + (b - '0'));
        }

        return (int)value;
    }
}
