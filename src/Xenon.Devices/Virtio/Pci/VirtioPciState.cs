using Xenon.Devices.Virtio.Queue;

namespace Xenon.Devices.Virtio.Pci;

/// <summary>
/// The virtio-pci transport's state in saved form. The configuration space and the MSI-X table are saved
/// separately (<see cref="Pci.PciConfigSpace.GetState"/>, <see cref="Pci.Msi.MsiXCapability.GetState"/>), and
/// the device model saves its own state.
/// </summary>
/// <param name="Status">device_status as the driver set it (without DEVICE_NEEDS_RESET, see <paramref name="NeedsReset"/>).</param>
/// <param name="QueueVectors">queue_msix_vector of each queue (0xffff = none).</param>
public sealed record VirtioPciState(
    byte Status,
    bool NeedsReset,
    ulong DriverFeatures,
    uint DeviceFeatureSelect,
    uint DriverFeatureSelect,
    ushort QueueSelect,
    ushort ConfigVector,
    ushort[] QueueVectors,
    VirtQueueState[] Queues,
    byte Isr,
    byte ConfigGeneration);
