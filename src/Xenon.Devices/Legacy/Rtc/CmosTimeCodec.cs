namespace Xenon.Devices.Legacy.Rtc;

/// <summary>Converts between a calendar time and the RTC's time registers in the format register B selects.</summary>
internal static class CmosTimeCodec
{
    /// <summary>Writes the time registers (and century) of <paramref name="cmos"/> from <paramref name="time"/>.</summary>
    public static void Encode(DateTime time, byte regB, Span<byte> cmos)
    {
        bool binary = (regB & Cmos.BBinary) != 0;
        cmos[Cmos.Seconds] = ToField(time.Second, binary);
        cmos[Cmos.Minutes] = ToField(time.Minute, binary);
        cmos[Cmos.Hours] = EncodeHour(time.Hour, regB);
        cmos[Cmos.DayOfWeek] = ToField((int)time.DayOfWeek + 1, binary);
        cmos[Cmos.DayOfMonth] = ToField(time.Day, binary);
        cmos[Cmos.Month] = ToField(time.Month, binary);
        cmos[Cmos.Year] = ToField(time.Year % 100, binary);
        cmos[Cmos.Century] = ToField(time.Year / 100, binary);
    }

    /// <summary>Reads the time registers; false if they do not hold a valid date and time in this format.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> cmos, byte regB, out DateTime time)
    {
        time = default;
        bool binary = (regB & Cmos.BBinary) != 0;
        if (!TryFromField(cmos[Cmos.Seconds], binary, out int second) || second > 59) return false;
        if (!TryFromField(cmos[Cmos.Minutes], binary, out int minute) || minute > 59) return false;
        if (!TryDecodeHour(cmos[Cmos.Hours], regB, out int hour)) return false;
        if (!TryFromField(cmos[Cmos.DayOfMonth], binary, out int day)) return false;
        if (!TryFromField(cmos[Cmos.Month], binary, out int month) || month is < 1 or > 12) return false;
        if (!TryFromField(cmos[Cmos.Year], binary, out int yearInCentury) || yearInCentury > 99) return false;
        if (!TryFromField(cmos[Cmos.Century], binary, out int century) || century > 99) return false;
        int year = century * 100 + yearInCentury;
        if (year < 1 || day < 1 || day > DateTime.DaysInMonth(year, month)) return false;
        time = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc);
        return true;
    }

    public static byte EncodeHour(int hour24, byte regB)
    {
        bool binary = (regB & Cmos.BBinary) != 0;
        if ((regB & Cmos.B24Hour) != 0) return ToField(hour24, binary);
        int hour12 = hour24 % 12 == 0 ? 12 : hour24 % 12;
        byte field = ToField(hour12, binary);
        return hour24 >= 12 ? (byte)(field | Cmos.HourPm) : field;
    }

    private static bool TryDecodeHour(byte field, byte regB, out int hour24)
    {
        bool binary = (regB & Cmos.BBinary) != 0;
        hour24 = 0;
        if ((regB & Cmos.B24Hour) != 0)
            return TryFromField(field, binary, out hour24) && hour24 <= 23;
        if (!TryFromField((byte)(field & ~Cmos.HourPm), binary, out int hour12) || hour12 is < 1 or > 12) return false;
        hour24 = hour12 % 12 + ((field & Cmos.HourPm) != 0 ? 12 : 0);
        return true;
    }

    public static byte ToField(int value, bool binary) =>
        binary ? (byte)value : (byte)(((value / 10) << 4) | (value % 10));

    public static bool TryFromField(byte field, bool binary, out int value)
    {
        if (binary) { value = field; return true; }
        int hi = field >> 4, lo = field & 0x0f;
        value = hi * 10 + lo;
        return hi <= 9 && lo <= 9;
    }
}
