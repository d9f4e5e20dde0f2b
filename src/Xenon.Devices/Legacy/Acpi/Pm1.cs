namespace Xenon.Devices.Legacy.Acpi;

/// <summary>ACPI fixed-hardware PM1 register bits (ACPI spec, "PM1 Event Grouping" and "PM1 Control Grouping").</summary>
internal static class Pm1
{
    public const ushort TmrSts = 0x0001;
    public const ushort BmSts = 0x0010;
    public const ushort GblSts = 0x0020;
    public const ushort PwrBtnSts = 0x0100;
    public const ushort SlpBtnSts = 0x0200;
    public const ushort RtcSts = 0x0400;
    public const ushort WakSts = 0x8000;
    public const ushort StatusMask = TmrSts | BmSts | GblSts | PwrBtnSts | SlpBtnSts | RtcSts | WakSts;

    public const ushort TmrEn = 0x0001;
    public const ushort GblEn = 0x0020;
    public const ushort PwrBtnEn = 0x0100;
    public const ushort SlpBtnEn = 0x0200;
    public const ushort RtcEn = 0x0400;
    public const ushort EnableMask = TmrEn | GblEn | PwrBtnEn | SlpBtnEn | RtcEn;

    public const ushort SciEn = 0x0001;
    public const ushort BmRld = 0x0002;
    public const ushort GblRls = 0x0004;
    public const int SlpTypShift = 10;
    public const ushort SlpTypMask = 0x1c00;
    public const ushort SlpEn = 0x2000;
    /// <summary>Control bits that read back; GBL_RLS and SLP_EN are write-only.</summary>
    public const ushort ControlStoredMask = SciEn | BmRld | SlpTypMask;

    /// <summary>The PM timer's fixed frequency.</summary>
    public const long TimerHz = 3_579_545;
    public const uint TimerMask = 0x00ff_ffff;
    public const int TimerMsbShift = 23;
}
