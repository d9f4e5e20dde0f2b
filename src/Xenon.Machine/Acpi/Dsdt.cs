using Xenon.Machine.Acpi.Aml;
using Xenon.Machine.Memory;
using static Xenon.Machine.Acpi.Aml.AmlEncoder;

namespace Xenon.Machine.Acpi;

/// <summary>
/// Differentiated System Description Table: \_S5 (so the guest can power off through PM1a_CNT)
/// the platform devices that are not enumerable otherwise: COM1, the CMOS RTC and pvpanic, and a processor device
/// per possible vCPU with the CPU hotplug methods and GPE handler (<see cref="CpuHotplugAml"/>).
/// </summary>
internal static class Dsdt
{
    /// <summary>Revision 2: AML integers are 64-bit.</summary>
    public const byte Revision = 2;

    public static byte[] Build(int maxVcpus)
    {
        var w = AcpiTableWriter.BeginTable("DSDT", Revision);
        w.Bytes(Name("\\_S5", Package(
            Integer(AcpiPorts.S5SleepType),    // PM1a_CNT.SLP_TYP
            Integer(AcpiPorts.S5SleepType),    // PM1b_CNT.SLP_TYP
            Integer(0),
            Integer(0))));
        w.Bytes(Scope("\\_SB", [
            PciRoot(),
            Com1(),
            Rtc(),
            PvPanic(),
            .. CpuHotplugAml.SystemBusObjects(maxVcpus)]));
        w.Bytes(CpuHotplugAml.GpeScope());
        return w.Finish();
    }

    /// <summary>The PCI host bridge: without it an ACPI kernel finds no PCI bus at all (x86 Linux only probes
    /// legacy-style when ACPI is off). _CRS gives bus 0 and the windows BARs are placed in, so the kernel keeps
    /// the placements made at build time; config space is reached through 0xcf8 and the MCFG's ECAM.</summary>
    private static byte[] PciRoot() => Device("PCI0",
        Name("_HID", EisaId("PNP0A08")),
        Name("_CID", EisaId("PNP0A03")),
        Name("_ADR", Integer(0)),
        Name("_SEG", Integer(0)),
        Name("_UID", Integer(0)),
        Name("_BBN", Integer(0)),
        Name("_CRS", new ResourceTemplate()
            .WordBusNumber(0, 0)
            .Io(0xcf8, 0xcf8, 0x01, 0x08)
            .WordIo(0x0000, 0x0cf7)
            .WordIo(0x0d00, (ushort)(X86Layout.PciIoEnd - 1))
            .DWordMemory((uint)X86Layout.PciMmio32Base, (uint)(X86Layout.PciMmio32End - 1))
            .ToAmlBuffer()));

    private static byte[] Com1() => Device("COM1",
        Name("_HID", EisaId("PNP0501")),
        Name("_UID", Integer(1)),
        Name("_CRS", new ResourceTemplate().Io(0x3f8, 0x3f8, 0x01, 0x08).IrqNoFlags(4).ToAmlBuffer()));

    private static byte[] Rtc() => Device("RTC",
        Name("_HID", EisaId("PNP0B00")),
        Name("_CRS", new ResourceTemplate().Io(0x70, 0x70, 0x01, 0x02).IrqNoFlags(8).ToAmlBuffer()));

    private static byte[] PvPanic() => Device("PEVT",
        Name("_HID", AsciiString("QEMU0001")),
        Name("_UID", Integer(0)),
        Name("_STA", Integer(0x0f)),
        Name("_CRS", new ResourceTemplate().Io(AcpiPorts.PvPanicPort, AcpiPorts.PvPanicPort, 0x01, 0x01).ToAmlBuffer()));
}
