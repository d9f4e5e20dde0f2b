namespace Xenon.Devices.Pci;

/// <summary>Where the build-time allocator placed one BAR.</summary>
public readonly record struct PciBarAssignment(PciAddress Address, string DeviceName, int BarIndex, PciBarKind Kind, ulong Base, ulong Size);
