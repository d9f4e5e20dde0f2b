using System.Globalization;

namespace Xenon.Toolstack.Config;

/// <summary>
/// Integers as xl reads them (strtol with base 0): optional sign, then <c>0x</c>/<c>0X</c>
/// hex, a leading <c>0</c> octal, otherwise decimal. The whole text must be the number.
/// </summary>
public static class XlNumber
{
    public static bool TryParse(string text, out long value)
    {
        value = 0;
        var span = text.AsSpan();
        var negative = false;
        if (span.Length > 0 && (span[0] == '-' || span[0] == '+'))
        {
            negative = span[0] == '-';
            span = span[1..];
        }

        if (span.Length == 0)
        {
            return false;
        }

        ulong magnitude;
        bool ok;
        if (span.Length > 2 && span[0] == '0' && (span[1] == 'x' || span[1] == 'X'))
        {
            ok = ulong.TryParse(span[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out magnitude);
        }
        else if (span.Length > 1 && span[0] == '0')
        {
            ok = TryParseOctal(span[1..], out magnitude);
        }
        else
        {
            ok = ulong.TryParse(span, NumberStyles.None, CultureInfo.InvariantCulture, out magnitude);
        }

        if (!ok || magnitude > (negative ? (ulong)long.MaxValue + 1 : long.MaxValue))
        {
            return false;
        }

        value = negative ? (long)(0 - magnitude) : (long)magnitude;
        return true;
    }

    private static bool TryParseOctal(ReadOnlySpan<char> digits, out ulong value)
    {
        value = 0;
        foreach (var c in digits)
        {
            if (c is < '0' or > '7' || value > (ulong.MaxValue >> 3))
            {
                return false;
            }

            value = (value << 3) | (uint)(c - '0');
        }

        return true;
    }
}
