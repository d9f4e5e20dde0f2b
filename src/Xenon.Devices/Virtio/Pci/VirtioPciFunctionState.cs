using Xenon.Devices.Pci;
using Xenon.Devices.Pci.Msi;

namespace Xenon.Devices.Virtio.Pci;

/// <summary>
/// Everything one virtio-pci function saves: its configuration space, its MSI-X table, the transport and, when the
/// device model keeps state of its own (<see cref="State.IStateful"/>), that model's blob.
/// </summary>
public sealed record VirtioPciFunctionState(PciConfigSpaceState Config, MsiXState MsiX, VirtioPciState Transport, byte[]? Device);
