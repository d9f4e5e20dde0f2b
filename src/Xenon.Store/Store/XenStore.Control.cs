using System.Globalization;
using Xenon.Store.Wire;

namespace Xenon.Store.Store;

// CONTROL (alias DEBUG): a few of C xenstored's commands; unknown ones answer EINVAL as there.
public sealed partial class XenStore
{
    private const string ControlHelp = "Available commands:\ncheck\nhelp\nprint <string>\nquota\n";

    private XsError? DoControl(XsConnection conn, ReadOnlySpan<byte> payload)
    {
        Span<Range> args = stackalloc Range[2];
        var count = XsPayload.GetStrings(payload, args);
        if (count < 1)
        {
            return XsError.EINVAL;
        }

        var command = payload[args[0]];
        if (command.SequenceEqual("check"u8))
        {
            ReplyOk(conn);
        }
        else if (command.SequenceEqual("print"u8))
        {
            if (count < 2)
            {
                return XsError.EINVAL;
            }

            ReplyOk(conn);
        }
        else if (command.SequenceEqual("help"u8))
        {
            ReplyText(conn, ControlHelp);
        }
        else if (command.SequenceEqual("quota"u8))
        {
            ReplyText(conn, string.Create(CultureInfo.InvariantCulture,
                $"Nodes per Domain: {Quotas.EntriesPerDomain}\nNode size: {Quotas.MaxEntrySize}\nWatches per Domain: {Quotas.WatchesPerConnection}\nTransactions per Domain: {Quotas.TransactionsPerConnection}\nPermissions per Node: {Quotas.PermsPerNode}\nNodes in a transaction: {Quotas.TransactionNodes}\nOutstanding requests: {Quotas.OutstandingRequests}\nPath length: {Quotas.MaxPathLength}\n"));
        }
        else
        {
            return XsError.EINVAL;
        }

        return null;
    }
}
