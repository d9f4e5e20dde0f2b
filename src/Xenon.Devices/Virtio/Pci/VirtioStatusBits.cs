namespace Xenon.Devices.Virtio.Pci;

/// <summary>The device_status bits (virtio 1.x §2.1).</summary>
public static class VirtioStatusBits
{
    public const byte Acknowledge = 0x01;
    public const byte Driver = 0x02;
    public const byte DriverOk = 0x04;
    public const byte FeaturesOk = 0x08;
    public const byte DeviceNeedsReset = 0x40;
    public const byte Failed = 0x80;
}
