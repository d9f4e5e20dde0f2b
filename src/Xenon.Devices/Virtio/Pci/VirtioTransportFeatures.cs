namespace Xenon.Devices.Virtio.Pci;

/// <summary>Transport-level feature bits (virtio 1.x §6) the PCI transport offers on every device.</summary>
public static class VirtioTransportFeatures
{
    public const ulong IndirectDescriptors = 1UL << 28;
    public const ulong EventIdx = 1UL << 29;
    public const ulong Version1 = 1UL << 32;

    /// <summary>What the transport adds to a device's own features: the split ring's options <see cref="Queue.VirtQueue"/> implements, and VERSION_1.</summary>
    public const ulong Offered = Version1 | IndirectDescriptors | EventIdx;
}
