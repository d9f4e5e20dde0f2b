using System.Text;

namespace Xenon.Toolstack.Config;

/// <summary>
/// The escapes libxlu accepts inside quoted strings: <c>\" \' \\ \a \b \f \n \r \t \v</c>,
/// <c>\xHH</c> (exactly two hex digits) and <c>\ooo</c> (one to three octal digits).
/// Escapes may only produce ASCII: the file is UTF-8 text, so a non-ASCII character is
/// written as itself, and NUL is refused because every consumer of these strings is C-like.
/// </summary>
public static class XlStringEscapes
{
    /// <summary>Decodes the text between the quotes. Throws a syntax error naming the escape.</summary>
    public static string Decode(ReadOnlySpan<char> body, string source, int line)
    {
        if (body.IndexOf('\\') < 0)
        {
            if (body.Contains('\0'))
            {
                throw ConfigException.Syntax(source, line, "NUL character in string");
            }

            return body.ToString();
        }

        var sb = new StringBuilder(body.Length);
        var i = 0;
        while (i < body.Length)
        {
            var c = body[i++];
            if (c == '\0')
            {
                throw ConfigException.Syntax(source, line, "NUL character in string");
            }

            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }

            if (i >= body.Length)
            {
                // The lexer never hands over a body ending in a lone backslash, but be safe.
                throw ConfigException.Syntax(source, line, "backslash at end of string");
            }

            var e = body[i++];
            switch (e)
            {
                case '"' or '\'' or '\\': sb.Append(e); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'v': sb.Append('\v'); break;
                case 'x':
                    {
                        if (i + 2 > body.Length || !IsHex(body[i]) || !IsHex(body[i + 1]))
                        {
                            throw ConfigException.Syntax(source, line, "\\x must be followed by two hex digits");
                        }

                        var v = (HexValue(body[i]) << 4) | HexValue(body[i + 1]);
                        i += 2;
                        sb.Append(CheckedChar(v, source, line));
                        break;
                    }

                case >= '0' and <= '7':
                    {
                        var v = e - '0';
                        var digits = 1;
                        while (digits < 3 && i < body.Length && body[i] is >= '0' and <= '7')
                        {
                            v = (v << 3) | (body[i] - '0');
                            i++;
                            digits++;
                        }

                        sb.Append(CheckedChar(v, source, line));
                        break;
                    }

                default:
                    throw ConfigException.Syntax(source, line, $"invalid escape '\\{Printable(e)}' in string");
            }
        }

        return sb.ToString();
    }

    /// <summary>Writes a string as a double-quoted xl.cfg string that decodes back to it.</summary>
    public static string Quote(string text)
    {
        var sb = new StringBuilder(text.Length + 2);
        sb.Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20 || c == 0x7f)
                    {
                        sb.Append("\\x").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        return sb.Append('"').ToString();
    }

    internal static string Printable(char c) =>
        c is >= ' ' and < (char)0x7f ? c.ToString() : $"\\x{(int)c:x2}";

    private static char CheckedChar(int value, string source, int line)
    {
        if (value == 0)
        {
            throw ConfigException.Syntax(source, line, "escape produces a NUL character");
        }

        if (value > 0x7f)
        {
            throw ConfigException.Syntax(source, line,
                $"escape for byte 0x{value:x2} is not ASCII; write the character itself (files are UTF-8)");
        }

        return (char)value;
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
