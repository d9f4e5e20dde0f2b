namespace Xenon.Machine.Backend;

public enum VcpuExitKind
{
    /// <summary>A port or MMIO access was completed through the handler; run again.</summary>
    Io,
    /// <summary>The guest executed HLT with interrupts off (or the backend reports an idle halt).</summary>
    Halt,
    /// <summary>Run returned because of <see cref="IVcpuBackend.Kick"/> or a signal.</summary>
    Interrupted,
    /// <summary>Triple fault or an equivalent unrecoverable CPU state.</summary>
    Shutdown,
    /// <summary>The backend's platform asked for a reset (e.g. a PSCI-like system event).</summary>
    SystemReset,
    /// <summary>The backend's platform asked for power-off.</summary>
    SystemPowerOff,
    /// <summary>The guest cannot continue: emulation failure, failed entry, unknown exit. See <see cref="VcpuExit.Detail"/>.</summary>
    Error,
}

/// <summary>Why <see cref="IVcpuBackend.Run"/> returned. <see cref="Detail"/> is set only for rare exits, so the I/O path allocates nothing.</summary>
public readonly record struct VcpuExit(VcpuExitKind Kind, string? Detail = null)
{
    public static readonly VcpuExit IoDone = new(VcpuExitKind.Io);
    public static readonly VcpuExit Interrupted = new(VcpuExitKind.Interrupted);
}
