using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Xenon.Devices.State;

/// <summary>
/// Writes a device state blob: the kind tag and layout version (<see cref="Begin"/>), then little-endian fields.
/// The layout of each kind is written down beside its codec and in docs/save-format.md; a field is never
/// reinterpreted within a version — a new layout gets a new version.
/// </summary>
public ref struct StateWriter
{
    /// <summary>Longest kind tag (ASCII).</summary>
    public const int MaxKindLength = 32;

    private readonly IBufferWriter<byte> _output;

    private StateWriter(IBufferWriter<byte> output) => _output = output;

    /// <summary>Bytes written so far, the header included.</summary>
    public int Written { get; private set; }

    /// <summary>Starts a blob of <paramref name="kind"/> (e.g. "serial16550") at layout <paramref name="version"/>.</summary>
    public static StateWriter Begin(IBufferWriter<byte> output, string kind, ushort version)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(kind);
        if (kind.Length is 0 or > MaxKindLength || !Ascii.IsValid(kind))
            throw new ArgumentException($"state kind '{kind}' must be 1–{MaxKindLength} ASCII characters", nameof(kind));
        var writer = new StateWriter(output);
        writer.U8((byte)kind.Length);
        Span<byte> tag = stackalloc byte[MaxKindLength];
        int length = Encoding.ASCII.GetBytes(kind, tag);
        writer.Fixed(tag[..length]);
        writer.U16(version);
        return writer;
    }

    public void U8(byte value)
    {
        _output.GetSpan(1)[0] = value;
        Advance(1);
    }

    public void Bool(bool value) => U8(value ? (byte)1 : (byte)0);

    public void U16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_output.GetSpan(2), value);
        Advance(2);
    }

    public void U32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_output.GetSpan(4), value);
        Advance(4);
    }

    public void U64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_output.GetSpan(8), value);
        Advance(8);
    }

    public void I64(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_output.GetSpan(8), value);
        Advance(8);
    }

    /// <summary>Bytes whose count the layout fixes (no length prefix).</summary>
    public void Fixed(scoped ReadOnlySpan<byte> data)
    {
        data.CopyTo(_output.GetSpan(data.Length));
        Advance(data.Length);
    }

    /// <summary>Variable-length bytes: a u32 count, then the bytes.</summary>
    public void Blob(scoped ReadOnlySpan<byte> data)
    {
        U32((uint)data.Length);
        Fixed(data);
    }

    private void Advance(int count)
    {
        _output.Advance(count);
        Written += count;
    }
}
