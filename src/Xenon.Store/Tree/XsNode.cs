namespace Xenon.Store.Tree;

/// <summary>
/// One node: value bytes, child names in creation order, permissions, generation. A node held by
/// the tree is never changed in place: writers clone it, change the clone and put the clone back,
/// which is what lets transactions see a stable snapshot.
/// </summary>
public sealed class XsNode
{
    /// <summary>Creates a node.</summary>
    public XsNode(string path, byte[] value, XsPerm[] perms)
    {
        Path = path;
        Value = value;
        Perms = perms;
        Children = [];
    }

    /// <summary>Absolute path.</summary>
    public string Path { get; }

    /// <summary>Value (any bytes; usually ASCII without a nul).</summary>
    public byte[] Value { get; set; }

    /// <summary>Permission list; never empty.</summary>
    public XsPerm[] Perms { get; set; }

    /// <summary>Child names (last components), in creation order as C xenstored keeps them.</summary>
    public List<string> Children { get; private set; }

    /// <summary>Bumped by the tree on every committed change; transactions compare it.</summary>
    public ulong Generation { get; set; }

    /// <summary>Owner domain: the first permission entry's domid.</summary>
    public uint Owner => Perms[0].DomId;

    /// <summary>Bytes of the children list on the wire: each name and its nul.</summary>
    public int ChildrenWireLength
    {
        get
        {
            var total = 0;
            foreach (var child in Children)
            {
                total += child.Length + 1;
            }

            return total;
        }
    }

    /// <summary>Approximate record size C xenstored compares with the entry-size quota.</summary>
    public int RecordSize => 16 + (8 * Perms.Length) + Value.Length + ChildrenWireLength;

    /// <summary>A copy that can be changed without touching this node.</summary>
    public XsNode Clone() => new(Path, Value, Perms) { Generation = Generation, Children = [.. Children] };
}
