using System.Globalization;
using Xenon.Store.Tree;
using Xenon.Store.Wire;

namespace Xenon.Store.Store;

// TRANSACTION_START and TRANSACTION_END.
public sealed partial class XenStore
{
    private XsError? DoTransactionStart(XsConnection conn, IXsNodeStore view)
    {
        // Nested transactions do not exist.
        if (view is XsTransaction)
        {
            return XsError.EBUSY;
        }

        if (conn.Transactions.Count >= Quotas.TransactionsPerConnection)
        {
            return XsError.ENOSPC;
        }

        var id = conn.NextTransactionId();
        conn.Transactions[id] = new XsTransaction(id, _tree, Quotas.TransactionNodes);
        ReplyText(conn, id.ToString(CultureInfo.InvariantCulture));
        return null;
    }

    // Payload "T" commits, "F" aborts. A commit that conflicts answers EAGAIN; the transaction is gone either way.
    private XsError? DoTransactionEnd(XsConnection conn, IXsNodeStore view, ReadOnlySpan<byte> payload)
    {
        if (view is not XsTransaction tx)
        {
            return XsError.EINVAL;
        }

        if (!XsPayload.TryOneArg(payload, out var arg) || arg.Length != 1 || (arg[0] != (byte)'T' && arg[0] != (byte)'F'))
        {
            return XsError.EINVAL;
        }

        conn.Transactions.Remove(tx.Id);
        if (arg[0] == (byte)'T')
        {
            if (!tx.CanCommit())
            {
                return XsError.EAGAIN;
            }

            tx.Commit();
            ReplyOk(conn);
            foreach (var queued in tx.QueuedWatches)
            {
                FireCommitted(queued.Path, queued.Exact, queued.Perms, queued.OldPerms);
            }

            return null;
        }

        ReplyOk(conn);
        return null;
    }
}
