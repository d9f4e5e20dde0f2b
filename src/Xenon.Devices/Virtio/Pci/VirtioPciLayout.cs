namespace Xenon.Devices.Virtio.Pci;

/// <summary>
/// Where the virtio-pci structures live. One 64-bit memory BAR holds four 4 KiB areas (as QEMU lays them out):
/// common configuration, ISR, device configuration, notifications. The MSI-X table and PBA sit in a second,
/// 32-bit BAR, so a driver that maps the register BAR never overlaps them.
/// </summary>
public static class VirtioPciLayout
{
    public const int RegisterBar = 4;
    public const ulong RegisterBarSize = 0x4000;
    public const int MsiXBar = 1;

    public const ulong CommonOffset = 0x0000;
    public const ulong IsrOffset = 0x1000;
    public const ulong DeviceOffset = 0x2000;
    public const ulong NotifyOffset = 0x3000;
    public const ulong AreaSize = 0x1000;

    /// <summary>Length of struct virtio_pci_common_cfg up to queue_device (virtio 1.0); later fields read zero.</summary>
    public const int CommonLength = 0x38;
    public const int IsrLength = 1;
    public const int DeviceLength = 0x1000;

    /// <summary>Each queue has its own 4-byte doorbell: queue_notify_off is the queue's index.</summary>
    public const uint NotifyOffMultiplier = 4;

    /// <summary>The notify area bounds how many queues a device may have.</summary>
    public const int MaxQueues = (int)(AreaSize / NotifyOffMultiplier);

    public const uint MsiXTableOffset = 0;

    /// <summary>MSI-X vectors: one per queue plus one for configuration changes (what Linux asks for first).</summary>
    public static int VectorCount(int queueCount) => queueCount + 1;

    public static uint MsiXPbaOffset(int vectorCount) => (uint)(vectorCount * 16);

    /// <summary>Smallest power of two ≥ 4 KiB holding the table and the PBA.</summary>
    public static ulong MsiXBarSize(int vectorCount)
    {
        ulong needed = MsiXPbaOffset(vectorCount) + (ulong)((vectorCount + 63) / 64 * 8);
        return Math.Max(0x1000UL, System.Numerics.BitOperations.RoundUpToPowerOf2(needed));
    }
}
