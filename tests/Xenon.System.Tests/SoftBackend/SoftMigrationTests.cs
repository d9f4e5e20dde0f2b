namespace Xenon.System.Tests.SoftBackend;

/// <summary>
/// Live migration on the software CPU, on this host with no KVM and no nested host (issue 5): see
/// <see cref="SoftMigrationSession"/> (one boot and two migrations for the class, 1–3 minutes on 2 cores).
/// </summary>
public sealed class SoftMigrationTests(SoftMigrationSession session) : IClassFixture<SoftMigrationSession>
{
    [Fact]
    public void A_refusing_receiver_fails_the_migration_and_the_source_runs_on()
    {
        session.RequireRun();
        Assert.True(session.RefusedExitCode == 1, $"migrate to a refusing receiver: exit {session.RefusedExitCode}. {session.Describe()}");
        Assert.Contains("memory", session.RefusedOutput, StringComparison.Ordinal);
        Assert.True(session.TicksAfterRefusal >= session.TicksBeforeRefusal + 3,
            $"the source ticked {session.TicksBeforeRefusal} then {session.TicksAfterRefusal}. {session.Describe()}");
    }

    [Fact]
    public void The_guest_moves_and_the_source_ends_only_after_the_destination_runs()
    {
        session.RequireRun();
        Assert.True(session.MigrateExitCode == 0, $"xenon migrate: exit {session.MigrateExitCode}. {session.Describe()}");
        Assert.True(session.SourceEndedAfterMigration, $"the source domain did not end. {session.Describe()}");
        Assert.True(session.DestinationListedWhenSourceEnded, $"the destination does not list the domain. {session.Describe()}");
        Assert.True(session.ReceiveExitCode == 0, $"migrate-receive: exit {session.ReceiveExitCode}. {session.Describe()}");
    }

    [Fact]
    public void The_guests_count_continues_on_the_destination_without_a_jump()
    {
        session.RequireRun();
        var ticks = session.DestinationTicks;
        Assert.True(ticks.Count >= 3, $"the destination's console showed ticks [{string.Join(",", ticks)}]. {session.Describe()}");
        // The count goes on from where the source left it (a restart would begin at 1 again); the first tick seen may
        // be a few later than the source's last (the console is attached only after the migration).
        string seen = $"the source's last tick {session.LastSourceTick}, the destination's [{string.Join(",", ticks)}], its console as read: '{session.DestinationConsole.ReplaceLineEndings(" / ")}'. {session.Describe()}";
        Assert.True(ticks[0] >= session.LastSourceTick && ticks[0] <= session.LastSourceTick + 30, $"the count did not go on: {seen}");
        for (int i = 1; i < ticks.Count; i++)
            Assert.True(ticks[i] == ticks[i - 1] + 1, $"tick {ticks[i]} followed {ticks[i - 1]} on the destination: {seen}");
    }
}
