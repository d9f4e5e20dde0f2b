namespace Xenon.Devices.Pci.Msi;

/// <summary>MSI-X table and pending bits in saved form (the enable and function-mask bits live in configuration space).</summary>
/// <param name="Table">Four dwords per vector: address low, address high, data, vector control.</param>
/// <param name="Pending">The pending bit array, 64 vectors per element.</param>
public sealed record MsiXState(uint[] Table, ulong[] Pending);
