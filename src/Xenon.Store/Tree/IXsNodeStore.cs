namespace Xenon.Store.Tree;

/// <summary>
/// A view of the tree that request handlers read and change: the committed tree itself, or a
/// transaction's private view of it.
/// </summary>
internal interface IXsNodeStore
{
    /// <summary>The node at an absolute path, or null. Nodes returned must not be changed: clone them.</summary>
    XsNode? Get(string path);

    /// <summary>Stores a new or changed node.</summary>
    void Put(XsNode node);

    /// <summary>Removes one node (not its children: callers remove those first).</summary>
    void Remove(string path);

    /// <summary>Nodes owned by a domain, as this view sees them.</summary>
    int EntriesOwnedBy(uint domId);

    /// <summary>All nodes, as this view sees them.</summary>
    int TotalNodes { get; }
}
