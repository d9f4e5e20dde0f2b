namespace Xenon.Devices.Pci;

/// <summary>
/// The host bridge at 00:00.0. Linux's type 1 probe (arch/x86/pci/direct.c) only trusts
/// 0xCF8/0xCFC once it finds a function on bus 0 with class "host bridge" or an Intel/Compaq
/// vendor id; this answers both. The ids are the Q35 MCH's (8086:29c0), which guests know and
/// bind no driver to that would poke at chipset registers we do not model.
/// </summary>
public sealed class PciHostBridge : PciDevice
{
    public const ushort Q35MchDeviceId = 0x29c0;

    public static readonly PciIdentity DefaultIdentity = new(PciVendor.Intel, Q35MchDeviceId, PciClass.HostBridge,
        SubsystemVendorId: 0x1af4, SubsystemId: 0x1100);

    public PciHostBridge() : this(DefaultIdentity)
    {
    }

    public PciHostBridge(PciIdentity identity) : base("host-bridge", identity, [])
    {
        // A host bridge always claims memory and I/O cycles; Linux leaves these bits alone for host bridges.
        Config.SetInitial(PciConfigOffsets.Command, PciCommand.IoSpace | PciCommand.MemorySpace, 2);
    }
}
