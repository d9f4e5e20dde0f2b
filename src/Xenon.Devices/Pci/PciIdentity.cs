namespace Xenon.Devices.Pci;

/// <summary>The read-only identity a function shows in its configuration header.</summary>
/// <param name="ClassCode">base class &lt;&lt; 16 | subclass &lt;&lt; 8 | programming interface.</param>
public readonly record struct PciIdentity(
    ushort VendorId,
    ushort DeviceId,
    uint ClassCode,
    byte Revision = 0,
    ushort SubsystemVendorId = 0,
    ushort SubsystemId = 0);
