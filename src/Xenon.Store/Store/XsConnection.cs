using Xenon.Store.Tree;
using Xenon.Store.Wire;

namespace Xenon.Store.Store;

/// <summary>
/// One client of the store: its domain, privilege, watches and open transactions. Socket clients
/// are domain 0 and privileged, as in C xenstored.
/// </summary>
public sealed class XsConnection
{
    private uint _lastTransactionId;

    internal XsConnection(IXsMessageSink sink, uint domId, bool privileged)
    {
        Sink = sink;
        DomId = domId;
        IsPrivileged = privileged;
        DomainPath = XsPath.DomainPath(domId);
    }

    /// <summary>Domain the client speaks for.</summary>
    public uint DomId { get; }

    /// <summary>Privileged clients (the tools) bypass permissions and domain quotas.</summary>
    public bool IsPrivileged { get; }

    /// <summary>Relative paths are resolved against this: /local/domain/&lt;domid&gt;.</summary>
    public string DomainPath { get; }

    /// <summary>Number of watches registered.</summary>
    public int WatchCount => Watches.Count;

    /// <summary>Number of open transactions.</summary>
    public int TransactionCount => Transactions.Count;

    internal IXsMessageSink Sink { get; }

    internal List<XsWatch> Watches { get; } = [];

    internal Dictionary<uint, XsTransaction> Transactions { get; } = [];

    internal bool IsClosed { get; set; }

    internal uint NextTransactionId()
    {
        do
        {
            _lastTransactionId++;
        }
        while (_lastTransactionId == 0 || Transactions.ContainsKey(_lastTransactionId));

        return _lastTransactionId;
    }
}
