namespace Xenon.Devices.Pci;

/// <summary>A PCI function's location: bus, device (slot 0–31) and function (0–7) in segment 0.</summary>
public readonly record struct PciAddress(byte Bus, byte Device, byte Function)
{
    public const int MaxDevices = 32;
    public const int MaxFunctions = 8;

    /// <summary>Device and function packed as the 8-bit "devfn" the PCI specs and Linux use.</summary>
    public int DevFn => (Device << 3) | Function;

    public static PciAddress FromDevFn(byte bus, int devFn) => new(bus, (byte)((devFn >> 3) & 0x1f), (byte)(devFn & 7));

    public override string ToString() => $"{Bus:x2}:{Device:x2}.{Function}";
}
