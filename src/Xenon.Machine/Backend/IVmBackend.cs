using Xenon.Machine.Interrupts;
using Xenon.Machine.Memory;
using Xenon.Machine.State;

namespace Xenon.Machine.Backend;

/// <summary>
/// What the machine needs from a CPU virtualisation backend (KVM today, a software CPU later):
/// a VM with guest memory, vCPUs, interrupt controllers and dirty logging. Devices never see it.
/// </summary>
public interface IVmBackend : IDisposable
{
    string Name { get; }

    /// <summary>Makes a host mapping visible to the guest at <see cref="GuestMemoryRegion.GuestAddress"/>.</summary>
    void MapMemory(GuestMemoryRegion region, bool logDirty);

    /// <summary>Creates the platform interrupt controllers (PIC, IOAPIC, local APICs) and PIT. Call before creating vCPUs.</summary>
    void CreateInterruptControllers();

    /// <summary>An interrupt input (GSI 0–23 on the IOAPIC; 0–15 also reach the PIC).</summary>
    IIrqLine GetIrqLine(int gsi);

    /// <summary>Where devices send their MSI/MSI-X messages (the local APICs). Valid after <see cref="CreateInterruptControllers"/>.</summary>
    IMsiController Msi { get; }

    /// <summary>CPUID leaves the backend can present to a guest (before topology and policy are applied).</summary>
    IReadOnlyList<CpuidEntry> GetSupportedCpuid();

    IVcpuBackend CreateVcpu(int index);

    /// <summary>Fills <paramref name="bitmap"/> (one bit a 4 KiB page of the region) with pages written since the last call, and clears them.</summary>
    void GetAndClearDirtyLog(GuestMemoryRegion region, Span<ulong> bitmap);

    /// <summary>Captures the interrupt controllers, PIT and clock. Call while every vCPU is stopped.</summary>
    PlatformState GetPlatformState();

    /// <summary>Applies a captured platform state. Call while every vCPU is stopped, after their <see cref="IVcpuBackend.SetState"/>:
    /// the clock is set last because restoring a vCPU's TSC can move the backend's reference for it.</summary>
    void SetPlatformState(PlatformState state);
}
