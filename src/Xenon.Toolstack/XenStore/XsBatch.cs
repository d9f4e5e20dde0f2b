using Xenon.Store.Tree;
using Xenon.Store.Wire;

namespace Xenon.Toolstack.XenStore;

/// <summary>
/// Requests collected to be sent together: xenstored answers a connection's requests in order, so a batch costs one
/// round trip per <see cref="XsClient.PipelineDepth"/> requests instead of one each (a domain's ~95 nodes at create).
/// Writes (WRITE, MKDIR, SET_PERMS, RM), whose replies carry nothing but success, go by <see cref="XsClient.Send"/>;
/// questions (READ, DIRECTORY, IS_DOMAIN_INTRODUCED) by <see cref="XsClient.Query"/>, which hands back every answer.
/// </summary>
public sealed class XsBatch
{
    internal readonly record struct Request(XsMessageType Type, byte[] Payload, string What, bool MissingOk);

    private readonly List<Request> _requests = [];

    internal IReadOnlyList<Request> Requests => _requests;

    public int Count => _requests.Count;

    public XsBatch Write(string path, string value)
    {
        _requests.Add(new(XsMessageType.Write, XsClient.EncodeWrite(path, value), path, false));
        return this;
    }

    public XsBatch Mkdir(string path)
    {
        _requests.Add(new(XsMessageType.Mkdir, XsClient.EncodeArgs(XsMessageType.Mkdir, path), path, false));
        return this;
    }

    /// <summary>The first entry is the owner and the default for everyone else.</summary>
    public XsBatch SetPerms(string path, IReadOnlyList<XsPerm> perms)
    {
        ArgumentNullException.ThrowIfNull(perms);
        var args = new string[perms.Count + 1];
        args[0] = path;
        for (int i = 0; i < perms.Count; i++) args[i + 1] = perms[i].ToString();
        _requests.Add(new(XsMessageType.SetPerms, XsClient.EncodeArgs(XsMessageType.SetPerms, args), path, false));
        return this;
    }

    /// <summary>Removes a node and everything below it; a missing node is not an error.</summary>
    public XsBatch Rm(string path)
    {
        _requests.Add(new(XsMessageType.Rm, XsClient.EncodeArgs(XsMessageType.Rm, path), path, true));
        return this;
    }

    /// <summary>A node's value (<see cref="XsReply.Text"/>; null if it does not exist).</summary>
    public XsBatch Read(string path)
    {
        _requests.Add(new(XsMessageType.Read, XsClient.EncodeArgs(XsMessageType.Read, path), path, true));
        return this;
    }

    /// <summary>A node's children (<see cref="XsReply.Names"/>; none if it does not exist).</summary>
    public XsBatch Directory(string path)
    {
        _requests.Add(new(XsMessageType.Directory, XsClient.EncodeArgs(XsMessageType.Directory, path), path, true));
        return this;
    }

    /// <summary>Whether xenstored knows the domain (<see cref="XsReply.IsTrue"/>).</summary>
    public XsBatch IsDomainIntroduced(int domId)
    {
        string id = domId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _requests.Add(new(XsMessageType.IsDomainIntroduced, XsClient.EncodeArgs(XsMessageType.IsDomainIntroduced, id), id, false));
        return this;
    }

    /// <summary>Each entry as its node (MKDIR for a null value, else WRITE), then its permissions if it has any.</summary>
    public XsBatch Create(IEnumerable<XsEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        foreach (var entry in entries)
        {
            if (entry.Value is null) Mkdir(entry.Path);
            else Write(entry.Path, entry.Value);
            if (entry.Perms is not null) SetPerms(entry.Path, entry.Perms);
        }
        return this;
    }
}
