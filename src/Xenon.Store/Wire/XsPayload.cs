using System.Text;

namespace Xenon.Store.Wire;

/// <summary>Reads the nul-terminated string arguments of a request payload, as C xenstored does.</summary>
public static class XsPayload
{
    /// <summary>Number of nul bytes in the payload (C's xs_count_strings).</summary>
    public static int CountStrings(ReadOnlySpan<byte> payload) => payload.Count((byte)0);

    /// <summary>
    /// The single argument of a one-argument request: the payload must hold exactly one nul, at its end.
    /// </summary>
    public static bool TryOneArg(ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> arg)
    {
        arg = default;
        if (payload.IsEmpty || payload.IndexOf((byte)0) != payload.Length - 1)
        {
            return false;
        }

        arg = payload[..^1];
        return true;
    }

    /// <summary>
    /// Finds the nul-terminated strings at the start of the payload, filling up to
    /// <paramref name="ranges"/>.Length of them; returns how many there are in all. Bytes after the
    /// last nul are not a string.
    /// </summary>
    public static int GetStrings(ReadOnlySpan<byte> payload, Span<Range> ranges)
    {
        var count = 0;
        var offset = 0;
        while (offset < payload.Length)
        {
            var nul = payload[offset..].IndexOf((byte)0);
            if (nul < 0)
            {
                break;
            }

            if (count < ranges.Length)
            {
                ranges[count] = new Range(offset, offset + nul);
            }

            count++;
            offset += nul + 1;
        }

        return count;
    }

    /// <summary>Bytes to a string one char per byte, so that any byte sequence round-trips exactly.</summary>
    public static string ToText(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);

    /// <summary>Inverse of <see cref="ToText"/>; writes into <paramref name="destination"/> and returns the count.</summary>
    public static int FromText(string text, Span<byte> destination) => Encoding.Latin1.GetBytes(text, destination);

    /// <summary>Parses a non-negative decimal number as C's atoi would for well-formed input; false otherwise.</summary>
    public static bool TryParseUInt(ReadOnlySpan<byte> text, uint max, out uint value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 10)
        {
            return false;
        }

        ulong acc = 0;
        foreach (var b in text)
        {
            if (b < (byte)'0' || b > (byte)'9')
            {
                return false;
            }

            acc = (acc * 10) + (ulong)(b - '0');
        }

        if (acc > max)
        {
            return false;
        }

        value = (uint)acc;
        return true;
    }

    /// <summary>Parses a decimal unsigned 64-bit number; false when not all digits or too large.</summary>
    public static bool TryParseULong(ReadOnlySpan<byte> text, out ulong value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 20)
        {
            return false;
        }

        foreach (var b in text)
        {
            if (b < (byte)'0' || b > (byte)'9')
            {
                return false;
            }

            var next = unchecked((value * 10) + (ulong)(b - '0'));
            if (next / 10 != value)
            {
                return false;
            }

            value = next;
        }

        return true;
    }
}
