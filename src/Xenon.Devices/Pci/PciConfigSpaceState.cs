namespace Xenon.Devices.Pci;

/// <summary>A configuration space's saved form: its current bytes (the masks are rebuilt by the device model).</summary>
public sealed record PciConfigSpaceState(byte[] Data);
