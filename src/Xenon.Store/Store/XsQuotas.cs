namespace Xenon.Store.Store;

/// <summary>
/// Limits that keep one client from exhausting the daemon. Defaults are C xenstored's (Xen 4.17)
/// where it has one; the last three are ours, since C xenstored bounds a socket client differently.
/// </summary>
public sealed record XsQuotas
{
    /// <summary>Nodes an unprivileged domain may own (C: quota_nb_entry_per_domain).</summary>
    public int EntriesPerDomain { get; init; } = 1000;

    /// <summary>Record size of a node an unprivileged domain writes (C: quota_max_entry_size).</summary>
    public int MaxEntrySize { get; init; } = 2048;

    /// <summary>Watches per connection (C: quota_nb_watch_per_domain).</summary>
    public int WatchesPerConnection { get; init; } = 128;

    /// <summary>Open transactions per connection (C: quota_max_transaction).</summary>
    public int TransactionsPerConnection { get; init; } = 10;

    /// <summary>Permission entries an unprivileged domain may set on a node (C: quota_nb_perms_per_node).</summary>
    public int PermsPerNode { get; init; } = 5;

    /// <summary>Nodes one transaction may touch (C: quota_trans_nodes).</summary>
    public int TransactionNodes { get; init; } = 1024;

    /// <summary>Requests a connection may have unanswered before we stop reading it (C: quota_req_outstanding).</summary>
    public int OutstandingRequests { get; init; } = 20;

    /// <summary>Path length beyond /local/domain/N/ (C: quota_max_path_len = XENSTORE_REL_PATH_MAX).</summary>
    public int MaxPathLength { get; init; } = 2048;

    /// <summary>Nodes in the whole store, privileged writers included (ours).</summary>
    public int MaxTotalNodes { get; init; } = 100_000;

    /// <summary>Messages queued to a client that does not read; above this it is disconnected (ours).</summary>
    public int MaxQueuedMessages { get; init; } = 4096;

    /// <summary>Bytes queued to a client that does not read; above this it is disconnected (ours).</summary>
    public int MaxQueuedBytes { get; init; } = 4 * 1024 * 1024;
}
