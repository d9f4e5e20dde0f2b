using System.Text;

namespace Xenon.Machine.Acpi.Aml;

/// <summary>
/// A small ACPI Machine Language encoder for the declarative objects our DSDT needs (names,
/// integers, strings, packages, buffers, scopes, devices). Each method returns the encoded
/// term; containers take already-encoded children, so nesting reads like ASL. Control methods'
/// opcodes are in AmlEncoder.Code.cs.
/// </summary>
internal static partial class AmlEncoder
{
    private const byte ZeroOp = 0x00, OneOp = 0x01, OnesOp = 0xff;
    private const byte BytePrefix = 0x0a, WordPrefix = 0x0b, DWordPrefix = 0x0c, StringPrefix = 0x0d, QWordPrefix = 0x0e;
    private const byte NameOp = 0x08, ScopeOp = 0x10, BufferOp = 0x11, PackageOp = 0x12;
    private const byte ExtOpPrefix = 0x5b, DeviceOp = 0x82;
    private const byte RootChar = 0x5c, ParentPrefix = 0x5e, DualNamePrefix = 0x2e, MultiNamePrefix = 0x2f;

    /// <summary>PkgLength can describe at most 2^28 - 1 bytes.</summary>
    private const int MaxPackageLength = (1 << 28) - 1;

    public static byte[] Integer(ulong value)
    {
        if (value == 0) return [ZeroOp];
        if (value == 1) return [OneOp];
        if (value == ulong.MaxValue) return [OnesOp];
        if (value <= byte.MaxValue) return [BytePrefix, (byte)value];
        if (value <= ushort.MaxValue) return Prefixed(WordPrefix, value, 2);
        if (value <= uint.MaxValue) return Prefixed(DWordPrefix, value, 4);
        return Prefixed(QWordPrefix, value, 8);
    }

    public static byte[] AsciiString(string value)
    {
        foreach (char c in value)
            if (c is < (char)1 or > (char)0x7f)
                throw new ArgumentException($"AML strings are 7-bit ASCII without NUL: '{value}'", nameof(value));
        var bytes = new byte[value.Length + 2];
        bytes[0] = StringPrefix;
        Encoding.ASCII.GetBytes(value, bytes.AsSpan(1));
        return bytes;
    }

    /// <summary>EISA compressed ID ("PNP0501") as the DWord integer ASL's EisaId() yields.</summary>
    public static byte[] EisaId(string id)
    {
        if (id.Length != 7 || !IsUpper(id[0]) || !IsUpper(id[1]) || !IsUpper(id[2]) || !IsHex(id[3..]))
            throw new ArgumentException($"'{id}' is not an EISA ID (three letters and four hex digits)", nameof(id));
        int a = id[0] - 0x40, b = id[1] - 0x40, c = id[2] - 0x40;
        uint product = Convert.ToUInt32(id[3..], 16);
        uint value = (uint)((a << 2) | (b >> 3))
                   | (uint)((((b & 7) << 5) | c) << 8)
                   | ((product >> 8) & 0xff) << 16
                   | (product & 0xff) << 24;
        return Prefixed(DWordPrefix, value, 4);
    }

    public static byte[] Name(string name, byte[] value) => Concat([NameOp], NameString(name), value);

    public static byte[] Scope(string name, params byte[][] terms)
        => Concat([ScopeOp], PackageLength(NameString(name), terms));

    public static byte[] Device(string name, params byte[][] terms)
        => Concat([ExtOpPrefix, DeviceOp], PackageLength(NameString(name), terms));

    public static byte[] Package(params byte[][] elements)
    {
        if (elements.Length > byte.MaxValue) throw new ArgumentException("a Package holds at most 255 elements", nameof(elements));
        return Concat([PackageOp], PackageLength([(byte)elements.Length], elements));
    }

    public static byte[] Buffer(ReadOnlySpan<byte> contents)
        => Concat([BufferOp], PackageLength(Integer((ulong)contents.Length), [contents.ToArray()]));

    /// <summary>Encodes a path: optional '\' or '^' prefixes, then dot-separated segments of up to four characters (padded with '_').</summary>
    public static byte[] NameString(string path)
    {
        var result = new List<byte>();
        int i = 0;
        if (path.StartsWith('\\')) { result.Add(RootChar); i = 1; }
        else while (i < path.Length && path[i] == '^') { result.Add(ParentPrefix); i++; }

        var rest = path[i..];
        string[] segments = rest.Length == 0 ? [] : rest.Split('.');
        if (segments.Length == 2) result.Add(DualNamePrefix);
        else if (segments.Length > 2)
        {
            if (segments.Length > byte.MaxValue) throw new ArgumentException($"too many segments in '{path}'", nameof(path));
            result.Add(MultiNamePrefix);
            result.Add((byte)segments.Length);
        }
        else if (segments.Length == 0) result.Add(0);   // NullName
        foreach (var s in segments) result.AddRange(NameSegment(s, path));
        return [.. result];
    }

    /// <summary>PkgLength: counts itself and everything after it up to the end of the package.</summary>
    internal static byte[] EncodePackageLength(int contentLength)
    {
        if (contentLength < 0 || contentLength > MaxPackageLength - 4)
            throw new ArgumentOutOfRangeException(nameof(contentLength), contentLength, "AML package too large");
        if (contentLength + 1 < 0x40) return [(byte)(contentLength + 1)];
        for (int extra = 1; extra <= 3; extra++)
        {
            int total = contentLength + 1 + extra;
            if (total < 1 << (4 + 8 * extra))
            {
                var bytes = new byte[1 + extra];
                bytes[0] = (byte)((extra << 6) | (total & 0x0f));
                for (int k = 0; k < extra; k++) bytes[1 + k] = (byte)(total >> (4 + 8 * k));
                return bytes;
            }
        }
        throw new ArgumentOutOfRangeException(nameof(contentLength));
    }

    private static byte[] PackageLength(byte[] head, byte[][] body)
    {
        int length = head.Length;
        foreach (var b in body) length += b.Length;
        var all = new byte[body.Length + 2][];
        all[0] = EncodePackageLength(length);
        all[1] = head;
        body.CopyTo(all, 2);
        return Concat(all);
    }

    public static byte[] Concat(params byte[][] parts)
    {
        int length = 0;
        foreach (var p in parts) length += p.Length;
        var result = new byte[length];
        int at = 0;
        foreach (var p in parts)
        {
            p.CopyTo(result, at);
            at += p.Length;
        }
        return result;
    }

    private static byte[] NameSegment(string segment, string path)
    {
        if (segment.Length is 0 or > 4 || !(IsUpper(segment[0]) || segment[0] == '_'))
            throw new ArgumentException($"bad name segment '{segment}' in '{path}'", nameof(path));
        var bytes = new byte[4] { (byte)'_', (byte)'_', (byte)'_', (byte)'_' };
        for (int k = 0; k < segment.Length; k++)
        {
            char c = segment[k];
            if (!(IsUpper(c) || c == '_' || char.IsAsciiDigit(c)))
                throw new ArgumentException($"bad character '{c}' in name segment '{segment}'", nameof(path));
            bytes[k] = (byte)c;
        }
        return bytes;
    }

    private static byte[] Prefixed(byte prefix, ulong value, int width)
    {
        var bytes = new byte[1 + width];
        bytes[0] = prefix;
        for (int k = 0; k < width; k++) bytes[1 + k] = (byte)(value >> (8 * k));
        return bytes;
    }

    private static bool IsUpper(char c) => c is >= 'A' and <= 'Z';

    private static bool IsHex(string s)
    {
        foreach (char c in s)
            if (!char.IsAsciiHexDigitUpper(c) && !char.IsAsciiDigit(c)) return false;
        return true;
    }
}
