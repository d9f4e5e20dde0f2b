namespace Xenon.Devices.Legacy.CpuHotplug;

/// <summary>ACPI CPU hotplug's saved form: the GPE0 registers, the CPU selector, and per possible vCPU its
/// <see cref="Xenon.Machine.Acpi.CpuHotplugRegisters"/> status bits (present, insert pending, remove pending).</summary>
public sealed record CpuHotplugState(ushort GpeStatus, ushort GpeEnable, uint Selector, byte[] CpuStatus);
