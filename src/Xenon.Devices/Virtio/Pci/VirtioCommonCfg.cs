namespace Xenon.Devices.Virtio.Pci;

/// <summary>Offsets of the fields of struct virtio_pci_common_cfg (virtio 1.x §4.1.4.3).</summary>
public static class VirtioCommonCfg
{
    public const int DeviceFeatureSelect = 0x00;
    public const int DeviceFeature = 0x04;
    public const int DriverFeatureSelect = 0x08;
    public const int DriverFeature = 0x0c;
    public const int MsixConfig = 0x10;
    public const int NumQueues = 0x12;
    public const int DeviceStatus = 0x14;
    public const int ConfigGeneration = 0x15;
    public const int QueueSelect = 0x16;
    public const int QueueSize = 0x18;
    public const int QueueMsixVector = 0x1a;
    public const int QueueEnable = 0x1c;
    public const int QueueNotifyOff = 0x1e;
    public const int QueueDesc = 0x20;
    public const int QueueDriver = 0x28;
    public const int QueueDevice = 0x30;

    /// <summary>"No MSI-X vector" in msix_config and queue_msix_vector.</summary>
    public const ushort NoVector = 0xffff;

    /// <summary>The field containing byte <paramref name="offset"/>: its start and width; false past the structure.</summary>
    public static bool FieldAt(ulong offset, out int start, out int width)
    {
        (start, width) = offset switch
        {
            < 0x10 => ((int)offset & ~3, 4),
            < 0x14 => ((int)offset & ~1, 2),
            < 0x16 => ((int)offset, 1),
            < 0x20 => ((int)offset & ~1, 2),
            < VirtioPciLayout.CommonLength => ((int)offset & ~7, 8),
            _ => (0, 0),
        };
        return width != 0;
    }
}
