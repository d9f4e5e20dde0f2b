namespace Xenon.Machine.State;

/// <summary>A paused machine's CPU-side state: one <see cref="VcpuState"/> per vCPU (by index) and the <see cref="PlatformState"/>.
/// Guest memory and device models are saved separately.</summary>
public sealed class MachineState(IReadOnlyList<VcpuState> vcpus, PlatformState platform)
{
    public IReadOnlyList<VcpuState> Vcpus { get; } = vcpus;
    public PlatformState Platform { get; } = platform;
}
