using Xenon.Domain.Migration;
using Xenon.Domain.Tests.SaveRestore;

namespace Xenon.Domain.Tests.Migration;

/// <summary>What the loopback migration tests share: a source with recognisable pages, a policy that stops pre-copy at
/// once, and sender/receiver calls that turn a MigrationException into a result to assert on.</summary>
internal static class MigrationRig
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    public static readonly MigrationPolicy Eager = new() { SmallDirtyPages = 0, FinalTransferTarget = TimeSpan.Zero, ReplyTimeout = Timeout };

    /// <summary>Pages 0–15 hold their number plus one; <paramref name="highPage"/> also fills the page at 1 MiB with 0xee.</summary>
    public static FakeMigrationSource Source(bool highPage = false)
    {
        var source = new FakeMigrationSource(new FakeDomain());
        for (ulong page = 0; page < 16; page++) source.Memory.GetSpan(page * 4096, 4096).Fill((byte)(page + 1));
        if (highPage) source.Memory.GetSpan(0x100000, 4096).Fill(0xee);
        return source;
    }

    public static (MigrationResult? Result, MigrationException? Error) Send(FakeMigrationSource source, MigrationChannel channel, MigrationPolicy? policy = null)
    {
        try
        {
            return (MigrationSender.Migrate(source, channel, policy ?? Eager, "test-peer"), null);
        }
        catch (MigrationException e)
        {
            return (null, e);
        }
    }

    /// <summary>Sends the receiver's ready banner, then receives into <paramref name="target"/>.</summary>
    public static MigrationReceiveResult Receive(FakeDomain target, MigrationChannel channel, List<string>? log = null)
    {
        MigrationFraming.WriteReady(channel.Send);
        return MigrationReceiver.Receive(target, channel, Timeout, log is null ? null : m => { lock (log) log.Add(m); });
    }
}
