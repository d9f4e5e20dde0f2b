using Xenon.Machine;

namespace Xenon.Domain;

/// <summary>How a domain ended, after its on_poweroff/on_reboot/on_crash actions were applied.</summary>
/// <param name="Destroyed">The toolstack stopped the domain (xl destroy) rather than the guest ending.</param>
/// <param name="Saved">The domain was saved to a file (xl save without -c) and ended there; a restore continues it.</param>
/// <param name="Migrated">The domain moved to another host (xl migrate), which confirmed it runs there.</param>
public sealed record DomainOutcome(ShutdownReason Reason, string Detail, int Incarnations, bool Destroyed = false, bool Saved = false,
    bool Migrated = false)
{
    public const int ExitPowerOff = 0, ExitReboot = 2, ExitCrash = 3, ExitDestroyed = 4, ExitSaved = 5, ExitMigrated = 6;

    /// <summary>The process exit status that reports this outcome (docs/cli.md).</summary>
    public int ExitStatus => Migrated ? ExitMigrated : Saved ? ExitSaved : Destroyed ? ExitDestroyed : Reason switch
    {
        ShutdownReason.PowerOff => ExitPowerOff,
        ShutdownReason.Reboot => ExitReboot,
        _ => ExitCrash,
    };

    /// <summary>The word for it in the domain's <c>outcome</c> file.</summary>
    public string Name => Migrated ? "Migrated" : Saved ? "Saved" : Destroyed ? "Destroyed" : Reason.ToString();
}
