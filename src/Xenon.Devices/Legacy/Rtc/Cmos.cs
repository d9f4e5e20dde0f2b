namespace Xenon.Devices.Legacy.Rtc;

/// <summary>MC146818 CMOS/RTC register indices and bits.</summary>
internal static class Cmos
{
    public const int Size = 128;
    public const byte IndexMask = 0x7f; // bit 7 of the index port is the NMI mask on PCs

    public const int Seconds = 0x00;
    public const int SecondsAlarm = 0x01;
    public const int Minutes = 0x02;
    public const int MinutesAlarm = 0x03;
    public const int Hours = 0x04;
    public const int HoursAlarm = 0x05;
    public const int DayOfWeek = 0x06;
    public const int DayOfMonth = 0x07;
    public const int Month = 0x08;
    public const int Year = 0x09;
    public const int RegA = 0x0a;
    public const int RegB = 0x0b;
    public const int RegC = 0x0c;
    public const int RegD = 0x0d;
    public const int Century = 0x32;

    // Register A
    public const byte AUpdateInProgress = 0x80;
    public const byte ADividerMask = 0x70;
    public const byte ADividerReset = 0x60; // 11x holds the divider chain in reset
    public const byte ARateMask = 0x0f;
    public const byte ADefault = 0x26; // 32.768 kHz time base, 1024 Hz periodic rate

    // Register B
    public const byte BSet = 0x80;
    public const byte BPeriodicEnable = 0x40;
    public const byte BAlarmEnable = 0x20;
    public const byte BUpdateEndedEnable = 0x10;
    public const byte BBinary = 0x04;
    public const byte B24Hour = 0x02;
    public const byte BDefault = B24Hour;

    // Register C (same bit positions as the enables in B)
    public const byte CIrqFlag = 0x80;
    public const byte CPeriodic = 0x40;
    public const byte CAlarm = 0x20;
    public const byte CUpdateEnded = 0x10;
    public const byte CInterruptMask = CPeriodic | CAlarm | CUpdateEnded;

    // Register D
    public const byte DValidRam = 0x80;

    public const byte HourPm = 0x80;
    public const byte AlarmDontCare = 0xc0;

    /// <summary>UIP is raised this long before each update (datasheet: 244 µs).</summary>
    public const long UpdateInProgressTicks = 2440;

    public static bool IsTimeRegister(int index) =>
        index is Seconds or Minutes or Hours or DayOfWeek or DayOfMonth or Month or Year or Century;
}
