namespace Xenon.Toolstack.Commands;

/// <summary>
/// Copies bytes both ways between two endpoints of a migration (the sender's ssh pipe or socket, and a domain process's
/// Unix socket) until the far side of <paramref name="fromB"/> closes: the domain process ends the exchange, after its
/// last answer. Each direction runs on a thread of its own with a 1 MiB buffer; a direction that ends closes its output.
/// </summary>
internal static class MigrateRelay
{
    /// <returns>Bytes copied A→B and B→A.</returns>
    public static (long AToB, long BToA) Run(Stream fromA, Stream toB, Stream fromB, Stream toA, Action closeB, Action closeA)
    {
        long aToB = 0, bToA = 0;
        var forward = new Thread(() => aToB = Copy(fromA, toB, closeB)) { Name = "migrate-relay-out", IsBackground = true };
        forward.Start();
        bToA = Copy(fromB, toA, closeA);
        // The answers are over: a sender still writing (it failed, or is closing) has nobody to write to.
        closeB();
        forward.Join(TimeSpan.FromSeconds(5));
        return (aToB, bToA);
    }

    private static long Copy(Stream from, Stream to, Action closeOutput)
    {
        var buffer = new byte[1 << 20];
        long total = 0;
        try
        {
            int n;
            while ((n = from.Read(buffer)) > 0)
            {
                to.Write(buffer, 0, n);
                to.Flush();
                total += n;
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            // Either side went away; the other learns it from the close below.
        }
        try
        {
            closeOutput();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or System.Net.Sockets.SocketException) { }
        return total;
    }
}
