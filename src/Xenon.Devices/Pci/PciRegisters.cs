namespace Xenon.Devices.Pci;

/// <summary>Offsets of the type 0 configuration header (PCI Local Bus 3.0, §6.1).</summary>
public static class PciConfigOffsets
{
    public const int VendorId = 0x00;
    public const int DeviceId = 0x02;
    public const int Command = 0x04;
    public const int Status = 0x06;
    public const int RevisionId = 0x08;
    public const int ClassCode = 0x09; // 3 bytes: programming interface, subclass, base class
    public const int CacheLineSize = 0x0c;
    public const int LatencyTimer = 0x0d;
    public const int HeaderType = 0x0e;
    public const int Bar0 = 0x10;
    public const int BarEnd = 0x28; // six 32-bit BAR registers end here
    public const int SubsystemVendorId = 0x2c;
    public const int SubsystemId = 0x2e;
    public const int ExpansionRom = 0x30;
    public const int CapabilitiesPointer = 0x34;
    public const int InterruptLine = 0x3c;
    public const int InterruptPin = 0x3d;

    /// <summary>Capabilities are placed from here on (the end of the standard header).</summary>
    public const int FirstCapability = 0x40;
}

/// <summary>Bits of the command register.</summary>
public static class PciCommand
{
    public const ushort IoSpace = 1 << 0;
    public const ushort MemorySpace = 1 << 1;
    public const ushort BusMaster = 1 << 2;
    public const ushort ParityErrorResponse = 1 << 6;
    public const ushort SerrEnable = 1 << 8;
    public const ushort InterruptDisable = 1 << 10;

    /// <summary>The bits this model lets software set; the others are hardwired to 0.</summary>
    public const ushort Writable = IoSpace | MemorySpace | BusMaster | ParityErrorResponse | SerrEnable | InterruptDisable;
}

/// <summary>Bits of the status register.</summary>
public static class PciStatus
{
    public const ushort InterruptStatus = 1 << 3;
    public const ushort CapabilitiesList = 1 << 4;

    /// <summary>Error bits: software clears them by writing 1 (master data parity error, signalled/received
    /// target abort, received master abort, signalled system error, detected parity error).</summary>
    public const ushort WriteOneToClear = (1 << 8) | (1 << 11) | (1 << 12) | (1 << 13) | (1 << 14) | (1 << 15);
}

/// <summary>Capability ids (PCI Code and ID Assignment specification).</summary>
public static class PciCapabilityId
{
    public const byte PowerManagement = 0x01;
    public const byte Msi = 0x05;
    public const byte VendorSpecific = 0x09;
    public const byte PciExpress = 0x10;
    public const byte MsiX = 0x11;
}

/// <summary>Class codes as the 24-bit value base class &lt;&lt; 16 | subclass &lt;&lt; 8 | programming interface.</summary>
public static class PciClass
{
    public const uint HostBridge = 0x060000;
    public const uint Other = 0xff0000;
}

/// <summary>Vendor ids used by the models here.</summary>
public static class PciVendor
{
    public const ushort Intel = 0x8086;
    public const ushort RedHat = 0x1af4; // virtio

    /// <summary>What an absent function answers to a vendor id read.</summary>
    public const ushort None = 0xffff;
}
