using Xenon.Machine;

namespace Xenon.Domain;

/// <summary>How a domain ended, after its on_poweroff/on_reboot/on_crash actions were applied.</summary>
public sealed record DomainOutcome(ShutdownReason Reason, string Detail, int Incarnations)
{
    /// <summary>The process exit status that reports this outcome (docs/cli.md): 0 poweroff, 2 reboot, 3 crash.</summary>
    public int ExitStatus => Reason switch
    {
        ShutdownReason.PowerOff => 0,
        ShutdownReason.Reboot => 2,
        _ => 3,
    };
}
