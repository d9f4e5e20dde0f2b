using Xenon.Devices.Pci;
using Xenon.Devices.Pci.Msi;

namespace Xenon.Devices.Tests.Pci.Support;

/// <summary>
/// A function with every BAR kind: BAR0 32-bit memory (4 KiB registers), BAR1 I/O (32 ports),
/// BAR2–3 64-bit prefetchable memory (16 KiB: registers at 0, MSI-X table at 0x2000, PBA at 0x3000).
/// </summary>
internal sealed class TestPciDevice : PciDevice
{
    public const ushort VendorId = 0x1234;
    public const ushort DeviceIdValue = 0x5678;
    public const ulong Bar0Size = 0x1000;
    public const ushort Bar1Size = 0x20;
    public const ulong Bar2Size = 0x4000;
    public const uint MsiXTableOffset = 0x2000;
    public const uint MsiXPbaOffset = 0x3000;

    private TestPciDevice(RegisterFile bar0, RegisterFile bar1, PciBarRouter bar2, RegisterFile bar2Registers, int vectors, IMsiSink sink)
        : base("test", new PciIdentity(VendorId, DeviceIdValue, PciClass.Other, Revision: 3, SubsystemVendorId: 0xabcd, SubsystemId: 0x0001),
            [PciBar.Memory32(0, Bar0Size, bar0), PciBar.Io(1, Bar1Size, bar1), PciBar.Memory64(2, Bar2Size, bar2, prefetchable: true)])
    {
        Bar0 = bar0;
        Bar1 = bar1;
        Bar2Registers = bar2Registers;
        Config.SetInterruptPin(1);
        MsiX = new MsiXCapability(Config, vectors, 2, MsiXTableOffset, 2, MsiXPbaOffset, sink);
        bar2.Add(0, 0x1000, bar2Registers)
            .Add(MsiXTableOffset, (ulong)MsiX.TableSize, MsiX.Table)
            .Add(MsiXPbaOffset, (ulong)MsiX.PbaSize, MsiX.Pba);
    }

    public static TestPciDevice Create(IMsiSink sink, int vectors = 4) =>
        new(new RegisterFile((int)Bar0Size), new RegisterFile(Bar1Size), new PciBarRouter(Bar2Size), new RegisterFile(0x1000), vectors, sink);

    public RegisterFile Bar0 { get; }
    public RegisterFile Bar1 { get; }
    public RegisterFile Bar2Registers { get; }
    public MsiXCapability MsiX { get; }
}
