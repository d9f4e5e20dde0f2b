namespace Xenon.System.Tests.SoftBackend;

/// <summary>
/// xl save and restore of the real default guest on the software CPU, on this host (issue 5; docs/save-restore.md,
/// "On the software CPU"): the guest's counter and uptime continue across a save and a restore, and across a second
/// save restored into a prepared domain; a truncated file is refused with a clear error and leaves no domain process;
/// the domain ends cleanly when destroyed. No Requires=Kvm trait: the nested tier does not run it.
/// </summary>
public sealed class SoftSaveRestoreTests(SoftSaveRestoreSession session) : IClassFixture<SoftSaveRestoreSession>
{
    [Fact]
    public void The_guest_boots_ticking_and_xenon_save_ends_its_domain_process()
    {
        session.RequireRun();
        AssertSucceeded(session.Create, "create");
        Assert.True(session.BeforeSave.Count >= 3, $"{session.BeforeSave.Count} ticks before the save. {session.Describe()}");
        AssertSucceeded(session.Save, "save");
        Assert.True(session.ProcessAfterSave is null, $"the saved domain's process {session.ProcessAfterSave} is still alive. {session.Describe()}");
    }

    [Fact]
    public void A_truncated_save_file_is_refused_naming_the_file_and_leaves_no_domain_process()
    {
        session.RequireRun();
        var step = session.TruncatedRestore;
        Assert.True(step is { ExitCode: not null and not 0 }, $"restore of a truncated file: exit {step?.ExitCode?.ToString() ?? "(not run)"}. {session.Describe()}");
        Assert.Contains("truncated.save", step!.Text, StringComparison.Ordinal);
        Assert.Contains("truncated", step.Text.Replace("truncated.save", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.True(session.ProcessAfterTruncatedRestore is null, $"a domain process {session.ProcessAfterTruncatedRestore} is alive after the refused restore. {session.Describe()}");
        // The name was not left taken: the real restore that follows registers it again.
        AssertSucceeded(session.Restore, "restore after the refused one");
    }

    [Fact]
    public void Restore_continues_the_count_by_one_without_a_jump_of_the_guests_clock()
    {
        session.RequireRun();
        AssertSucceeded(session.Restore, "restore -d");
        Assert.Contains("restore-to-running", session.Restore!.Text, StringComparison.Ordinal);
        AssertContinues(session.BeforeSave, session.AfterRestore, session.GoneForRestore, "the restore");
    }

    [Fact]
    public void A_restore_into_a_prepared_domain_continues_the_count_by_one()
    {
        session.RequireRun();
        AssertSucceeded(session.Save2, "second save");
        AssertSucceeded(session.Prepare, "restore --prepare");
        Assert.True(session.PreparedState == "prepared", $"state after restore --prepare: '{session.PreparedState}'. {session.Describe()}");
        AssertSucceeded(session.PreparedRestore, "restore -d into the prepared domain");
        Assert.Contains("into the prepared domain", session.PreparedRestore!.Text, StringComparison.Ordinal);
        Assert.Matches(@"restore-to-running \d+\.\d ms \(request taken \d+\.\d ms; prepared: built", session.PreparedRestore.Text);
        AssertContinues(session.AfterRestore, session.AfterPreparedRestore, session.GoneForPreparedRestore, "the prepared restore");
    }

    [Fact]
    public void Destroy_ends_the_restored_domain_and_its_process()
    {
        session.RequireRun();
        AssertSucceeded(session.Destroy, "destroy");
        Assert.True(session.ProcessAfterDestroy is null, $"the domain process {session.ProcessAfterDestroy} outlived its destroy. {session.Describe()}");
        Assert.True(session.FinalOutcome?.StartsWith("Destroyed", StringComparison.Ordinal) == true,
            $"outcome '{session.FinalOutcome}', expected Destroyed. {session.Describe()}");
    }

    private void AssertSucceeded(SoftSaveRestoreSession.Step? step, string what) =>
        Assert.True(step is { ExitCode: 0 }, $"{what}: exit {step?.ExitCode?.ToString() ?? "(not run or timed out)"}. {session.Describe()}");

    /// <summary>The first tick after follows the last one before by one (none lost or replayed), every later one by one,
    /// and the guest's uptime moved by about a tick, not by the time the domain was gone.</summary>
    private void AssertContinues(IReadOnlyList<SoftSaveRestoreSession.Tick> before, IReadOnlyList<SoftSaveRestoreSession.Tick> after, TimeSpan gone, string what)
    {
        Assert.True(before.Count > 0 && after.Count >= 2, $"ticks: {before.Count} before, {after.Count} after {what}. {session.Describe()}");
        var last = before[^1];
        var first = after[0];
        Assert.True(first.N == last.N + 1, $"tick {last.N} before {what}, {first.N} first after. {session.Describe()}");
        for (int i = 1; i < after.Count; i++)
            Assert.True(after[i].N == after[i - 1].N + 1, $"after {what}: tick {after[i - 1].N} then {after[i].N}. {session.Describe()}");
        double step = first.Uptime - last.Uptime;
        Assert.True(step > 0 && step < Math.Max(3.0, gone.TotalSeconds / 2),
            $"the guest's uptime moved {step:F2} s across {what}, which took {gone.TotalSeconds:F1} s. {session.Describe()}");
    }
}
