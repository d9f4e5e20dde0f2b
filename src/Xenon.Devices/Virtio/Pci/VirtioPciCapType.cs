namespace Xenon.Devices.Virtio.Pci;

/// <summary>cfg_type of a virtio_pci_cap (virtio 1.x §4.1.4).</summary>
public static class VirtioPciCapType
{
    public const byte CommonCfg = 1;
    public const byte NotifyCfg = 2;
    public const byte IsrCfg = 3;
    public const byte DeviceCfg = 4;
    public const byte PciCfg = 5;
}
