namespace Xenon.Machine;

/// <summary>How a guest ended (xl's terms: poweroff, reboot, crash).</summary>
public enum ShutdownReason
{
    PowerOff,
    Reboot,
    Crash,
}

/// <summary>What devices call to end the machine: ACPI sleep to S5, a reset register or i8042 pulse, pvpanic, a triple fault.</summary>
/// <remarks>Thread-safe; the first request wins, later ones are ignored. Returns immediately: vCPUs are stopped asynchronously.</remarks>
public interface IMachineControl
{
    void RequestShutdown(ShutdownReason reason, string why);
}
