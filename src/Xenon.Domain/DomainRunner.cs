using System.Diagnostics;
using Xenon.Devices.Legacy.Serial;
using Xenon.Domain.Console;
using Xenon.Domain.Migration;
using Xenon.Domain.SaveRestore;
using Xenon.Machine;

namespace Xenon.Domain;

/// <summary>
/// Runs a domain until it ends for good: builds it, starts it, waits, and applies the spec's
/// on_poweroff/on_reboot/on_crash action (restart builds a fresh machine from the same spec). The first incarnation
/// can instead continue a saved domain (xl restore); a save without -c ends the domain.
/// </summary>
public sealed class DomainRunner
{
    private readonly DomainSpec _spec;
    private readonly Action<string> _log;
    private readonly object _lock = new();
    private readonly object _saveLock = new();
    private RestoreRequest? _restore;
    private RunningDomain? _current;
    private volatile bool _destroyed;
    private volatile string? _savedTo;
    private volatile string? _migratedTo;

    /// <param name="restore">Start from this saved file instead of booting the kernel (the spec must be the file's).</param>
    public DomainRunner(DomainSpec spec, Action<string> log, RestoreRequest? restore = null)
    {
        _spec = spec;
        _log = log;
        _restore = restore;
    }

    public ConsoleFanout Console { get; } = new();
    public ConsoleHistory History { get; } = new();

    /// <summary>Raised after each incarnation is built and started (console input is re-pointed to its UART).</summary>
    public event Action<RunningDomain>? Started;

    /// <summary>Set before <see cref="Run"/> for a domain migrating in (xl migrate-receive): called with the first
    /// incarnation, built without a kernel, instead of a boot; it returns once the guest runs, or throws.</summary>
    public Action<RunningDomain>? Incoming { get; init; }

    /// <summary>Set before <see cref="Run"/> for a prepared restore (xenon restore --prepare): the first incarnation is
    /// built without a kernel, parked and warmed, then waits for the saved file to restore (<see cref="PreparedRestore"/>).</summary>
    public PreparedRestore? Prepared { get; init; }

    public RunningDomain? Current
    {
        get { lock (_lock) return _current; }
    }

    public DomainOutcome Run()
    {
        Console.Attach(History);
        int incarnation = 0;
        while (true)
        {
            incarnation++;
            bool restoring = (_restore is not null || Incoming is not null || Prepared is not null) && incarnation == 1;
            var built = Stopwatch.StartNew();
            IDisposable? imageCheck = null;
            var domain = restoring ? DomainBuilder.BuildForRestore(_spec, Console, _log) : DomainBuilder.Build(_spec, Console, _log);
            MachineExit exit;
            try
            {
                bool started = true;
                if (restoring && Incoming is { } incoming) incoming(domain);
                else if (restoring && Prepared is { } prepared) started = RestorePrepared(domain, prepared, built.Elapsed, out imageCheck);
                else if (restoring) imageCheck = Restore(domain, _restore!, built, null);
                else domain.Start();
                if (started)
                {
                    // Only a started machine is offered to control requests (pause and save need running vCPU threads).
                    lock (_lock) _current = domain;
                    Started?.Invoke(domain);
                }
                if (_destroyed || !started) domain.Destroy();
                exit = domain.Machine.WaitForExit();
            }
            finally
            {
                lock (_lock) _current = null;
                foreach (var line in domain.Devices.Describe()) _log($"domain {_spec.Name}: {line}");
                // The image check reads guest memory's mappings: it stops before they go.
                imageCheck?.Dispose();
                domain.Dispose();
            }
            _log($"domain {_spec.Name}: {exit.Reason} ({exit.Detail})");
            if (_migratedTo is not null) return new DomainOutcome(exit.Reason, $"migrated to {_migratedTo}", incarnation, Migrated: true);
            if (_savedTo is not null) return new DomainOutcome(exit.Reason, $"saved to {_savedTo}", incarnation, Saved: true);
            if (_destroyed) return new DomainOutcome(exit.Reason, exit.Detail, incarnation, Destroyed: true);
            var action = exit.Reason switch
            {
                ShutdownReason.PowerOff => _spec.OnPowerOff,
                ShutdownReason.Reboot => _spec.OnReboot,
                _ => _spec.OnCrash,
            };
            bool restart = action is LifecycleAction.Restart or LifecycleAction.RenameRestart or LifecycleAction.CoredumpRestart or LifecycleAction.SoftReset;
            if (restart && _restore is { NoMonitor: true })
            {
                // xl restore -e: nobody watches for the domain's death.
                _log($"domain {_spec.Name}: restored with -e: {action} after {exit.Reason} does not apply");
                restart = false;
            }
            if (restart)
            {
                _log($"domain {_spec.Name}: {action} after {exit.Reason}");
                continue;
            }
            return new DomainOutcome(exit.Reason, exit.Detail, incarnation);
        }
    }

    /// <returns>The background check of the memory images mapped from the file (dispose it before the domain), or null.</returns>
    /// <param name="since">Started when the domain process took the request: before the build, or, for a prepared
    /// domain, when the request arrived (then <paramref name="prepared"/> says how long the build took, before it).</param>
    private IDisposable? Restore(RunningDomain domain, RestoreRequest request, Stopwatch since, string? prepared)
    {
        // Without a prepared domain: the build; with one: taking the request (accept to a parsed request).
        var build = since.Elapsed;
        _log($"domain {_spec.Name}: restoring from {request.Path}");
        using var reader = SavedDomainReader.Open(request.Path);
        var result = reader.RestoreInto(domain, request.Paused, m => _log($"domain {_spec.Name}: {m}"));
        // restore-to-running: from the domain process taking the request (the build included, unless it was prepared
        // before the request) to the vCPUs being let run. What follows them (the background image check's start, the
        // profile's formatting, this line) is not in it.
        var toRunning = since.Elapsed - Stopwatch.GetElapsedTime(result.RunningAt);
        _log($"domain {_spec.Name}: restored from {request.Path}: {result}{(request.Paused ? " (paused)" : "")}; " +
             $"restore-to-running {toRunning.TotalMilliseconds:0.0} ms " +
             (prepared is null ? $"(build {build.TotalMilliseconds:0.0} ms)" : $"(request taken {build.TotalMilliseconds:0.0} ms; prepared: {prepared})"));
        return result.Verifier;
    }

    /// <summary>Parks and warms the prepared domain, waits for its request and restores it; false if it was destroyed
    /// while it waited (nothing was restored).</summary>
    private bool RestorePrepared(RunningDomain domain, PreparedRestore prepared, TimeSpan build, out IDisposable? imageCheck)
    {
        imageCheck = null;
        var preparing = Stopwatch.StartNew();
        prepared.Prepare(domain);
        var warm = preparing.Elapsed;
        var request = prepared.WaitForRequest(out var received);
        if (request is null)
        {
            _log($"domain {_spec.Name}: destroyed while prepared for a restore");
            return false;
        }
        _restore = request;
        var waited = preparing.Elapsed - warm - received.Elapsed;
        try
        {
            imageCheck = Restore(domain, request, received,
                $"built {build.TotalMilliseconds:0.0} ms, parked and warmed {warm.TotalMilliseconds:0.0} ms, {waited.TotalSeconds:0.0} s before the request");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            prepared.Answer(PreparedRestore.ErrorPrefix + e.Message);
            throw;
        }
        // After the restore's line: `xenon restore -d` prints it once answered.
        prepared.Answer(request.Paused ? "paused" : "running");
        return true;
    }

    /// <summary>
    /// xl save: writes the running domain to <paramref name="path"/> (<see cref="DomainSaver"/>). With
    /// <paramref name="keepRunning"/>, or if the save fails, the domain runs on. Without it the domain stays paused
    /// and <see cref="EndSaved"/> ends it with the outcome Saved: the caller first reports the save (the process
    /// exits once the domain has ended). One save at a time.
    /// </summary>
    /// <exception cref="DomainSaveException">The save failed (the domain runs on); the message names the file and step.</exception>
    public SaveResult Save(string path, bool keepRunning) => Save(path, keepRunning, SaveRequestOptions.None);

    /// <summary>xl save with its options: -p (<see cref="SaveRequestOptions.LeavePaused"/>) and CONFIG-FILE (<see cref="DomainCheckpoint"/>).</summary>
    public SaveResult Save(string path, bool keepRunning, SaveRequestOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        lock (_saveLock)
        {
            if (_savedTo is not null) throw new DomainSaveException($"the domain has already been saved to {_savedTo}");
            var domain = Current ?? throw new DomainSaveException("the domain is not running");
            var result = DomainCheckpoint.Save(domain, domain.Spec, path, keepRunning, options.LeavePaused, options.ReadConfig(path));
            _log($"domain {_spec.Name}: saved to {result}{(keepRunning ? "; it runs on" : "")}");
            if (!keepRunning) _savedTo = path;
            return result;
        }
    }

    /// <summary>After a save without keepRunning: ends the (paused) domain; <see cref="Run"/> returns the outcome Saved.</summary>
    public void EndSaved()
    {
        if (_savedTo is { } path) Current?.Machine.RequestShutdown(ShutdownReason.PowerOff, $"saved to {path}");
    }

    /// <summary>
    /// xl migrate: sends the running domain live over <paramref name="channel"/> (<see cref="MigrationSender"/>). On
    /// success the domain stays paused and <see cref="EndMigrated"/> ends it with the outcome Migrated once the caller has
    /// reported the result. One save or migration at a time.
    /// </summary>
    /// <exception cref="MigrationException">The migration failed; the message names the step. The domain runs on unless
    /// <see cref="MigrationException.SourceRunning"/> is false (the destination may have it).</exception>
    public MigrationResult Migrate(MigrationChannel channel, string destination, MigrationPolicy policy, bool leavePaused)
    {
        lock (_saveLock)
        {
            if (_savedTo is not null || _migratedTo is not null)
                throw new MigrationException($"cannot migrate to {destination}: the domain has already been {(_savedTo is not null ? "saved" : "migrated")}", sourceRunning: true);
            var domain = Current ?? throw new MigrationException($"cannot migrate to {destination}: the domain is not running", sourceRunning: true);
            _log($"domain {_spec.Name}: migrating to {destination}");
            var result = MigrationSender.Migrate(new DomainMigrationSource(domain, _log), channel, policy, destination, leavePaused, _log);
            _log($"domain {_spec.Name}: migrated to {destination}: {result}");
            _migratedTo = destination;
            return result;
        }
    }

    /// <summary>After a successful migration: ends the (paused) source; <see cref="Run"/> returns the outcome Migrated.</summary>
    public void EndMigrated()
    {
        if (_migratedTo is { } destination) Current?.Machine.RequestShutdown(ShutdownReason.PowerOff, $"migrated to {destination}");
    }

    /// <summary>Ends the domain now, whatever its actions say (xl destroy).</summary>
    public void Destroy()
    {
        _destroyed = true;
        Prepared?.Cancel();
        Current?.Destroy();
    }

    /// <summary>Asks the guest to shut down (ACPI power button).</summary>
    public bool Shutdown()
    {
        var d = Current;
        if (d is null) return false;
        d.PressPowerButton();
        return true;
    }
}
