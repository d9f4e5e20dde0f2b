using System.Buffers.Binary;
using System.Globalization;

namespace Xenon.Machine.State;

/// <summary>Reads little-endian fields from an untrusted state record (a save file or a migration stream). Every read
/// is bounds-checked and names its field, so a malformed record fails with a <see cref="StateFormatException"/> that
/// says what was wrong and where, never with an index exception or an absurd allocation.</summary>
internal ref struct StateReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly string _record;
    private int _offset;

    public StateReader(ReadOnlySpan<byte> data, string record)
    {
        _data = data;
        _record = record;
    }

    public readonly int Offset => _offset;

    /// <summary>Checks the magic, the version (exactly <paramref name="version"/>) and the reserved word.</summary>
    public void Magic(ReadOnlySpan<byte> magic, ushort version)
    {
        var found = Take(magic.Length, "magic");
        if (!found.SequenceEqual(magic))
            throw Error("magic", 0, $"is {Convert.ToHexString(found)}, expected {Convert.ToHexString(magic)} (not a {_record} record)");
        int at = _offset;
        ushort v = U16("version");
        if (v != version) throw Error("version", at, $"is {v}; this build reads version {version} only");
        at = _offset;
        ushort reserved = U16("reserved");
        if (reserved != 0) throw Error("reserved", at, $"is 0x{reserved:x}, must be 0");
    }

    public byte U8(string field) => Take(1, field)[0];

    public bool Bool(string field)
    {
        int at = _offset;
        byte b = U8(field);
        if (b > 1) throw Error(field, at, $"is {b}, must be 0 or 1");
        return b == 1;
    }

    public ushort U16(string field) => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, field));

    public uint U32(string field) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, field));

    public ulong U64(string field) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, field));

    /// <summary>A u32 count, refused above <paramref name="max"/> (before anything is allocated for it).</summary>
    public int Count(string field, int max)
    {
        int at = _offset;
        uint n = U32(field);
        if (n > (uint)max) throw Error(field, at, $"count {n} exceeds the limit of {max}");
        return (int)n;
    }

    /// <summary>A u32 length and that many bytes; the length must lie in [<paramref name="min"/>, <paramref name="max"/>]
    /// (or be 0 if <paramref name="allowEmpty"/>) and fit in what is left.</summary>
    public byte[] Blob(string field, int min, int max, bool allowEmpty = false)
    {
        int at = _offset;
        uint n = U32(field + ".length");
        if (n == 0 && allowEmpty) return [];
        if (n < (uint)min || n > (uint)max)
            throw Error(field, at, $"length {n} is outside [{min}, {max}]{(allowEmpty ? " (or 0)" : "")}");
        return Take((int)n, field).ToArray();
    }

    public void Bytes(string field, Span<byte> into) => Take(into.Length, field).CopyTo(into);

    /// <summary>Flags with only the bits in <paramref name="known"/> allowed.</summary>
    public uint Flags(string field, uint known)
    {
        int at = _offset;
        uint v = U32(field);
        if ((v & ~known) != 0) throw Error(field, at, $"has unknown bits 0x{v & ~known:x}");
        return v;
    }

    public readonly void End()
    {
        if (_offset != _data.Length)
            throw new StateFormatException($"{_record}: {_data.Length - _offset} trailing bytes after the last field (offset {_offset})");
    }

    public readonly StateFormatException Error(string field, int offset, string what)
        => new($"{_record}: field '{field}' at offset {offset.ToString(CultureInfo.InvariantCulture)} {what}");

    private ReadOnlySpan<byte> Take(int length, string field)
    {
        if (length > _data.Length - _offset)
            throw Error(field, _offset, $"is truncated: needs {length} bytes, {_data.Length - _offset} left");
        var span = _data.Slice(_offset, length);
        _offset += length;
        return span;
    }
}
