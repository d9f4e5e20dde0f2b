namespace Xenon.Store.Tree;

/// <summary>The committed tree: a flat map from path to node, with generations and per-owner counts.</summary>
internal sealed class XsTree : IXsNodeStore
{
    private readonly Dictionary<string, XsNode> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<uint, int> _ownerCounts = [];
    private ulong _generation;

    /// <summary>Creates the initial tree C xenstored starts with: /, /tool, /tool/xenstored, all "n0".</summary>
    public XsTree()
    {
        var root = new XsNode("/", [], [new XsPerm(0, XsPermAccess.None)]);
        root.Children.Add("tool");
        Put(root);
        var tool = new XsNode("/tool", [], [new XsPerm(0, XsPermAccess.None)]);
        tool.Children.Add("xenstored");
        Put(tool);
        Put(new XsNode("/tool/xenstored", [], [new XsPerm(0, XsPermAccess.None)]));
    }

    public int TotalNodes => _nodes.Count;

    public XsNode? Get(string path) => _nodes.GetValueOrDefault(path);

    public void Put(XsNode node)
    {
        if (_nodes.TryGetValue(node.Path, out var old))
        {
            AdjustOwner(old.Owner, -1);
        }

        node.Generation = ++_generation;
        _nodes[node.Path] = node;
        AdjustOwner(node.Owner, +1);
    }

    public void Remove(string path)
    {
        if (_nodes.Remove(path, out var old))
        {
            AdjustOwner(old.Owner, -1);
        }
    }

    public int EntriesOwnedBy(uint domId) => _ownerCounts.GetValueOrDefault(domId);

    private void AdjustOwner(uint owner, int delta)
    {
        var count = _ownerCounts.GetValueOrDefault(owner) + delta;
        if (count == 0)
        {
            _ownerCounts.Remove(owner);
        }
        else
        {
            _ownerCounts[owner] = count;
        }
    }
}
