namespace Xenon.Toolstack.XenStore;

/// <summary>Removes an ended domain's XenStore nodes and releases it, if a xenstored is running (never starts one:
/// with no daemon there is nothing to clean).</summary>
public static class DomainStoreCleanup
{
    public static void Forget(ToolstackContext context, int domId)
    {
        using var client = XenStoreLauncher.TryConnect(context.XenStoreSocket);
        if (client is null) return;
        try
        {
            new DomainStoreRecords(client).Remove(domId);
        }
        catch (XsClientException)
        {
            // xenstored went away meanwhile; the next toolstack command that finds it reconciles.
        }
    }
}
