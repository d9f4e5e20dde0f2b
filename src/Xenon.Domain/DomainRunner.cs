using Xenon.Devices.Legacy.Serial;
using Xenon.Domain.Console;
using Xenon.Machine;

namespace Xenon.Domain;

/// <summary>
/// Runs a domain until it ends for good: builds it, starts it, waits, and applies the spec's
/// on_poweroff/on_reboot/on_crash action (restart builds a fresh machine from the same spec).
/// </summary>
public sealed class DomainRunner
{
    private readonly DomainSpec _spec;
    private readonly Action<string> _log;
    private readonly object _lock = new();
    private RunningDomain? _current;
    private volatile bool _destroyed;

    public DomainRunner(DomainSpec spec, Action<string> log)
    {
        _spec = spec;
        _log = log;
    }

    public ConsoleFanout Console { get; } = new();
    public ConsoleHistory History { get; } = new();

    /// <summary>Raised after each incarnation is built and started (console input is re-pointed to its UART).</summary>
    public event Action<RunningDomain>? Started;

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
            var domain = DomainBuilder.Build(_spec, Console, _log);
            MachineExit exit;
            try
            {
                lock (_lock) _current = domain;
                domain.Start();
                Started?.Invoke(domain);
                if (_destroyed) domain.Destroy();
                exit = domain.Machine.WaitForExit();
            }
            finally
            {
                lock (_lock) _current = null;
                domain.Dispose();
            }
            _log($"domain {_spec.Name}: {exit.Reason} ({exit.Detail})");
            if (_destroyed) return new DomainOutcome(exit.Reason, exit.Detail, incarnation, Destroyed: true);
            var action = exit.Reason switch
            {
                ShutdownReason.PowerOff => _spec.OnPowerOff,
                ShutdownReason.Reboot => _spec.OnReboot,
                _ => _spec.OnCrash,
            };
            if (action is LifecycleAction.Restart or LifecycleAction.RenameRestart or LifecycleAction.CoredumpRestart or LifecycleAction.SoftReset)
            {
                _log($"domain {_spec.Name}: {action} after {exit.Reason}");
                continue;
            }
            return new DomainOutcome(exit.Reason, exit.Detail, incarnation);
        }
    }

    /// <summary>Ends the domain now, whatever its actions say (xl destroy).</summary>
    public void Destroy()
    {
        _destroyed = true;
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
