namespace Xenon.Devices.Virtio.Net;

/// <summary>What a backend may hand the device for the driver: frames whose checksum is left to the receiver,
/// TCP segmentation super-frames (IPv4, IPv6, with ECN). Anything not listed arrives as complete, checksummed frames.</summary>
[Flags]
public enum NetOffloads
{
    None = 0,
    Checksum = 1,
    Tso4 = 2,
    Tso6 = 4,
    TsoEcn = 8,
}
