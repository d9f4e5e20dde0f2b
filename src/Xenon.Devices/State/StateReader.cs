using System.Buffers.Binary;
using System.Text;

namespace Xenon.Devices.State;

/// <summary>
/// Reads a device state blob written by <see cref="StateWriter"/>, treating it as hostile: every read is
/// bounds-checked and every failure is a <see cref="DeviceStateException"/> naming the kind, the field and its offset.
/// </summary>
public ref struct StateReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly string _kind;
    private int _position;
    private int _fieldStart;

    private StateReader(ReadOnlySpan<byte> data, string kind, int position)
    {
        _data = data;
        _kind = kind;
        _position = position;
        _fieldStart = position;
    }

    /// <summary>The layout version the blob declares (1 ≤ version ≤ the newest the caller reads).</summary>
    public ushort Version { get; private set; }

    /// <summary>Bytes not read yet.</summary>
    public readonly int Remaining => _data.Length - _position;

    /// <summary>Checks the blob's kind tag and version; the reader then stands at the first field.</summary>
    /// <param name="newestVersion">The newest layout of <paramref name="kind"/> this build reads; versions 1..newest are accepted.</param>
    public static StateReader Open(ReadOnlySpan<byte> data, string kind, ushort newestVersion)
    {
        var reader = new StateReader(data, kind, 0);
        int length = reader.U8("kind length");
        var tag = reader.Fixed("kind", length);
        if (!tag.SequenceEqual(Encoding.ASCII.GetBytes(kind)))
        {
            string found = Ascii.IsValid(tag) ? Encoding.ASCII.GetString(tag) : Convert.ToHexString(tag);
            throw reader.Invalid("kind", $"the state is of kind '{found}', not '{kind}'");
        }
        ushort version = reader.U16("version");
        if (version == 0 || version > newestVersion)
            throw reader.Invalid("version", $"layout version {version} is not one this build reads (1–{newestVersion})");
        reader.Version = version;
        return reader;
    }

    public byte U8(string field) => Take(field, 1)[0];

    /// <summary>A boolean: exactly 0 or 1 (anything else is corruption, not "true").</summary>
    public bool Bool(string field)
    {
        byte value = U8(field);
        if (value > 1) throw Invalid(field, $"boolean is {value}, not 0 or 1");
        return value == 1;
    }

    public ushort U16(string field) => BinaryPrimitives.ReadUInt16LittleEndian(Take(field, 2));

    public uint U32(string field) => BinaryPrimitives.ReadUInt32LittleEndian(Take(field, 4));

    public ulong U64(string field) => BinaryPrimitives.ReadUInt64LittleEndian(Take(field, 8));

    public long I64(string field) => BinaryPrimitives.ReadInt64LittleEndian(Take(field, 8));

    public ReadOnlySpan<byte> Fixed(string field, int length) => Take(field, length);

    /// <summary>A u32 count then that many bytes; the count must not exceed <paramref name="maxLength"/>.</summary>
    public ReadOnlySpan<byte> Blob(string field, int maxLength)
    {
        uint length = U32(field + " length");
        if (length > (uint)maxLength) throw Invalid(field + " length", $"{length} bytes is more than the {maxLength} allowed");
        return Take(field, (int)length);
    }

    /// <summary>A u32 count that must lie in <paramref name="min"/>..<paramref name="max"/>.</summary>
    public int Count(string field, int min, int max)
    {
        uint value = U32(field);
        if (value < (uint)min || value > (uint)max) throw Invalid(field, $"{value} is outside {min}–{max}");
        return (int)value;
    }

    /// <summary>The blob must end here: trailing bytes mean it was written by a different layout.</summary>
    public readonly void End()
    {
        if (_position != _data.Length)
            throw new DeviceStateException($"{_kind} state: {_data.Length - _position} unexpected bytes after the last field, at offset {_position}");
    }

    /// <summary>An error about the field read last (or <paramref name="field"/>), at its offset.</summary>
    public readonly DeviceStateException Invalid(string field, string why) =>
        new($"{_kind} state: field '{field}' at offset {_fieldStart}: {why}");

    private ReadOnlySpan<byte> Take(string field, int length)
    {
        _fieldStart = _position;
        if (length < 0 || length > _data.Length - _position)
            throw new DeviceStateException(
                $"{_kind} state: truncated at field '{field}' (offset {_position}): needs {length} bytes, {_data.Length - _position} remain");
        var span = _data.Slice(_position, length);
        _position += length;
        return span;
    }
}
