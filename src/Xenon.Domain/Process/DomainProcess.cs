using Xenon.Domain.Console;

namespace Xenon.Domain.Process;

/// <summary>
/// The body of a detached domain process (<c>xenon __domain DIR</c>): runs the spec in DIR, serves
/// its console socket, reports <c>state</c> once the guest is running (or why it could not start)
/// and <c>outcome</c> when it has ended for good, then removes its socket. With a <c>restore</c> file
/// (<see cref="RestoreRequestFile"/>) the guest continues from a saved file instead of booting.
/// </summary>
public static class DomainProcess
{
    /// <param name="prepare">Called with the runner before it runs (the toolstack hooks its <see cref="DomainRunner.Started"/>
    /// to re-apply vCPU placement at each restart); null: nothing.</param>
    public static int Run(DomainRuntimeDirectory dir, TextWriter log, Action<DomainRunner, Action<string>>? prepare = null)
    {
        var logAction = new Action<string>(m =>
        {
            lock (log) { log.WriteLine($"{DateTime.UtcNow:O} {m}"); log.Flush(); }
        });
        DomainSpec spec;
        SaveRestore.RestoreRequest? restore;
        SaveRestore.PreparedRestore? prepared;
        try
        {
            spec = DomainSpecJson.Deserialize(File.ReadAllText(dir.SpecFile), dir.SpecFile);
            restore = RestoreRequestFile.TryRead(dir);
            // Bound before the build, so that a bad socket path fails at once rather than after it.
            prepared = SaveRestore.PreparedRestore.For(dir, logAction);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            dir.WriteFile("state", $"error: {e.Message}\n");
            return 1;
        }
        dir.WriteFile("pid", $"{Environment.ProcessId}\n");
        using var preparedRestore = prepared;
        var runner = new DomainRunner(spec, logAction, restore) { Incoming = Migration.IncomingMigration.For(dir, logAction), Prepared = prepared };
        using var console = new ConsoleSocketServer(runner, dir.ConsoleSocket);
        using var control = new ControlServer(runner, dir.ControlSocket, dir.MoveTo);
        runner.Started += _ => dir.WriteFile("state", "running\n");
        prepare?.Invoke(runner, logAction);
        using var term = global::System.Runtime.InteropServices.PosixSignalRegistration.Create(
            global::System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; runner.Destroy(); });
        try
        {
            var outcome = runner.Run();
            logAction($"domain {spec.Name} ended: {outcome.Name} ({outcome.Detail}) after {outcome.Incarnations} incarnation(s)");
            if (outcome.Reason == Machine.ShutdownReason.Crash) logAction("last console output:\n" + runner.History.Tail());
            dir.WriteFile("outcome", $"{outcome.Name} {outcome.ExitStatus} {outcome.Detail}\n");
            return outcome.ExitStatus;
        }
        catch (Exception e)
        {
            logAction($"domain {spec.Name} could not start: {e.Message}");
            dir.WriteFile("state", $"error: {e.Message}\n");
            dir.WriteFile("outcome", $"Error 1 {e.Message}\n");
            return 1;
        }
    }
}
