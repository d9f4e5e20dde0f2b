using Xenon.Machine.Acpi.Aml;
using static Xenon.Machine.Acpi.Aml.AmlEncoder;

namespace Xenon.Machine.Acpi;

/// <summary>
/// Differentiated System Description Table: \_S5 (so the guest can power off through PM1a_CNT)
/// and the platform devices that are not enumerable otherwise: COM1, the CMOS RTC and pvpanic.
/// </summary>
internal static class Dsdt
{
    /// <summary>Revision 2: AML integers are 64-bit.</summary>
    public const byte Revision = 2;

    public static byte[] Build()
    {
        var w = AcpiTableWriter.BeginTable("DSDT", Revision);
        w.Bytes(Name("\\_S5", Package(
            Integer(AcpiPorts.S5SleepType),    // PM1a_CNT.SLP_TYP
            Integer(AcpiPorts.S5SleepType),    // PM1b_CNT.SLP_TYP
            Integer(0),
            Integer(0))));
        w.Bytes(Scope("\\_SB",
            Com1(),
            Rtc(),
            PvPanic()));
        return w.Finish();
    }

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
