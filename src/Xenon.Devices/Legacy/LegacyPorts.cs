namespace Xenon.Devices.Legacy;

/// <summary>The PC's fixed legacy port and IRQ assignments.</summary>
/// <remarks>The ACPI values mirror Machine's AcpiPorts (which the FADT/DSDT builder uses);
/// they are duplicated here only until the devices are pointed at that class.</remarks>
internal static class LegacyPorts
{
    public const ushort Com1 = 0x3f8;
    public const ushort Com2 = 0x2f8;
    public const ushort Com3 = 0x3e8;
    public const ushort Com4 = 0x2e8;
    public const ushort SerialPortCount = 8;
    public const int Com1Irq = 4;

    public const ushort RtcIndex = 0x70;
    public const ushort RtcPortCount = 2;
    public const int RtcIrq = 8;

    public const ushort I8042Data = 0x60;
    public const ushort I8042Command = 0x64;

    public const ushort Pm1aEvent = 0x600;
    public const ushort Pm1aEventLength = 4;
    public const ushort Pm1aControl = 0x604;
    public const ushort Pm1aControlLength = 2;
    public const ushort PmTimer = 0x608;
    public const ushort PmTimerLength = 4;
    public const int SciIrq = 9;
    public const int S5SleepType = 5;

    public const ushort ResetPort = 0xcf9;
    public const byte ResetValue = 0x06;

    public const ushort PvPanicPort = 0x505;

    public const ushort PostCode = 0x80;
    public const ushort IoDelayAlt = 0xed;
}
