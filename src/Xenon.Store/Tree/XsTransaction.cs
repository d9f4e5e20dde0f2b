namespace Xenon.Store.Tree;

/// <summary>
/// A transaction's view: reads fall through to the committed tree, writes stay private until
/// commit. Every node touched is remembered with the generation it had, and commit succeeds only
/// if none of them changed since (C xenstored's per-node conflict check).
/// </summary>
internal sealed class XsTransaction : IXsNodeStore
{
    // Generation recorded for a node that did not exist when first touched.
    private const ulong Absent = ulong.MaxValue;

    private readonly XsTree _tree;
    private readonly int _maxAccessed;
    private readonly Dictionary<string, ulong> _accessed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, XsNode?> _changes = new(StringComparer.Ordinal);
    private readonly Dictionary<uint, int> _ownerDelta = [];
    private readonly List<QueuedWatch> _watches = [];
    private int _totalDelta;

    public XsTransaction(uint id, XsTree tree, int maxAccessedNodes)
    {
        Id = id;
        _tree = tree;
        _maxAccessed = maxAccessedNodes;
    }

    /// <summary>Transaction id as the client sees it.</summary>
    public uint Id { get; }

    /// <summary>Set when the transaction touched more nodes than allowed; commit then fails.</summary>
    public bool Failed { get; private set; }

    /// <summary>Watch events to fire if the commit succeeds, in order.</summary>
    public IReadOnlyList<QueuedWatch> QueuedWatches => _watches;

    public int TotalNodes => _tree.TotalNodes + _totalDelta;

    public XsNode? Get(string path)
    {
        if (_changes.TryGetValue(path, out var changed))
        {
            return changed;
        }

        var node = _tree.Get(path);
        Touch(path, node);
        return node;
    }

    public void Put(XsNode node)
    {
        var old = Get(node.Path);
        if (old is not null)
        {
            AdjustOwner(old.Owner, -1);
        }
        else
        {
            _totalDelta++;
        }

        AdjustOwner(node.Owner, +1);
        _changes[node.Path] = node;
    }

    public void Remove(string path)
    {
        var old = Get(path);
        if (old is null)
        {
            return;
        }

        AdjustOwner(old.Owner, -1);
        _totalDelta--;
        _changes[path] = null;
    }

    public int EntriesOwnedBy(uint domId) => _tree.EntriesOwnedBy(domId) + _ownerDelta.GetValueOrDefault(domId);

    /// <summary>Remembers a watch event to fire at commit; a subtree event replaces an exact one for the same path.</summary>
    public void QueueWatch(string path, bool exact, XsPerm[] perms, XsPerm[]? oldPerms)
    {
        for (var i = 0; i < _watches.Count; i++)
        {
            if (_watches[i].Path == path)
            {
                if (!exact)
                {
                    _watches[i] = new QueuedWatch(path, false, perms, oldPerms);
                }

                return;
            }
        }

        _watches.Add(new QueuedWatch(path, exact, perms, oldPerms));
    }

    /// <summary>True when no node this transaction touched has changed in the tree since.</summary>
    public bool CanCommit()
    {
        if (Failed)
        {
            return false;
        }

        foreach (var (path, generation) in _accessed)
        {
            var current = _tree.Get(path)?.Generation ?? Absent;
            if (current != generation)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Applies the private changes to the tree. Call only after <see cref="CanCommit"/>.</summary>
    public void Commit()
    {
        foreach (var (path, node) in _changes)
        {
            if (node is null)
            {
                _tree.Remove(path);
            }
            else
            {
                _tree.Put(node);
            }
        }
    }

    private void Touch(string path, XsNode? node)
    {
        if (_accessed.ContainsKey(path))
        {
            return;
        }

        if (_accessed.Count >= _maxAccessed)
        {
            Failed = true;
            return;
        }

        _accessed[path] = node?.Generation ?? Absent;
    }

    private void AdjustOwner(uint owner, int delta) =>
        _ownerDelta[owner] = _ownerDelta.GetValueOrDefault(owner) + delta;
}

/// <summary>A watch event held back until its transaction commits.</summary>
internal readonly record struct QueuedWatch(string Path, bool Exact, XsPerm[] Perms, XsPerm[]? OldPerms);
