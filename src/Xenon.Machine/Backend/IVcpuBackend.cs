using Xenon.Machine.State;

namespace Xenon.Machine.Backend;

/// <summary>One virtual CPU. <see cref="Run"/> and the state accessors are called only on the vCPU's own thread;
/// <see cref="Kick"/> may be called from any thread.</summary>
public interface IVcpuBackend : IDisposable
{
    int Index { get; }

    /// <summary>Binds the vCPU to the calling thread (so <see cref="Kick"/> can interrupt it). Call once, first, on the vCPU thread.</summary>
    void BindToCurrentThread();

    void SetCpuid(ReadOnlySpan<CpuidEntry> entries);

    X86Registers GetRegisters();
    void SetRegisters(in X86Registers regs);
    X86SpecialRegisters GetSpecialRegisters();
    void SetSpecialRegisters(in X86SpecialRegisters sregs);
    void SetMsrs(ReadOnlySpan<MsrEntry> msrs);
    /// <summary>Captures the vCPU's complete state. The vCPU must be stopped (not inside <see cref="Run"/>), and so must
    /// every other vCPU of the machine: pending-event state is only consistent while none runs.</summary>
    VcpuState GetState();

    /// <summary>Applies a state captured by <see cref="GetState"/> (here or on another machine), in the order the backend
    /// needs. Same threading rule as <see cref="GetState"/>.</summary>
    void SetState(VcpuState state);

    /// <summary>Resets the FPU/SSE state to the architectural power-on defaults (FCW 0x37f, MXCSR 0x1f80).</summary>
    void ResetFpu();

    /// <summary>Runs guest code until an exit the machine must see. Port and MMIO accesses are
    /// completed through <paramref name="handler"/> and reported as <see cref="VcpuExitKind.Io"/>.</summary>
    VcpuExit Run(IVcpuExitHandler handler);

    /// <summary>Makes a running (or about to run) <see cref="Run"/> return <see cref="VcpuExitKind.Interrupted"/> promptly.</summary>
    void Kick();
}
