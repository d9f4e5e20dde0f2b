using System.Buffers.Binary;
using System.Text;

namespace Xenon.Machine.Acpi;

/// <summary>
/// A growable little-endian byte buffer for building one ACPI table. Tables are built once at
/// boot, so clarity wins over avoiding allocation here.
/// </summary>
internal sealed class AcpiTableWriter
{
    public const int HeaderLength = 36;
    public const string OemId = "XENON ";
    public const string OemTableId = "XENONVM ";
    public const string CreatorId = "XNON";

    private byte[] _buffer = new byte[256];

    public int Length { get; private set; }

    /// <summary>Starts a table with the standard 36-byte description header; length and checksum are filled in by <see cref="Finish"/>.</summary>
    public static AcpiTableWriter BeginTable(string signature, byte revision)
    {
        var w = new AcpiTableWriter();
        w.Ascii(signature, 4);
        w.U32(0);          // length, patched in Finish
        w.U8(revision);
        w.U8(0);           // checksum, patched in Finish
        w.Ascii(OemId, 6);
        w.Ascii(OemTableId, 8);
        w.U32(1);          // OEM revision
        w.Ascii(CreatorId, 4);
        w.U32(1);          // creator revision
        return w;
    }

    /// <summary>Patches the header's length and checksum and returns the finished table.</summary>
    public byte[] Finish()
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(4), (uint)Length);
        _buffer[9] = 0;
        _buffer[9] = Checksum(_buffer.AsSpan(0, Length));
        return ToArray();
    }

    /// <summary>The byte that makes <paramref name="data"/> sum to zero modulo 256 when added.</summary>
    public static byte Checksum(ReadOnlySpan<byte> data)
    {
        byte sum = 0;
        foreach (var b in data) sum += b;
        return (byte)-sum;
    }

    public AcpiTableWriter U8(byte value)
    {
        Reserve(1)[0] = value;
        return this;
    }

    public AcpiTableWriter U16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(Reserve(2), value);
        return this;
    }

    public AcpiTableWriter U32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(Reserve(4), value);
        return this;
    }

    public AcpiTableWriter U64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(Reserve(8), value);
        return this;
    }

    public AcpiTableWriter Bytes(ReadOnlySpan<byte> data)
    {
        data.CopyTo(Reserve(data.Length));
        return this;
    }

    public AcpiTableWriter Zeros(int count)
    {
        Reserve(count).Clear();
        return this;
    }

    /// <summary>Writes exactly <paramref name="width"/> ASCII bytes; the text must fit.</summary>
    public AcpiTableWriter Ascii(string text, int width)
    {
        if (text.Length != width || !Ascii7(text))
            throw new ArgumentException($"'{text}' must be exactly {width} ASCII characters", nameof(text));
        Encoding.ASCII.GetBytes(text, Reserve(width));
        return this;
    }

    public AcpiTableWriter Gas(GenericAddress address)
    {
        address.WriteTo(Reserve(GenericAddress.Size));
        return this;
    }

    public byte[] ToArray() => _buffer.AsSpan(0, Length).ToArray();

    private Span<byte> Reserve(int count)
    {
        if (Length + count > _buffer.Length)
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + count));
        var span = _buffer.AsSpan(Length, count);
        Length += count;
        return span;
    }

    private static bool Ascii7(string s)
    {
        foreach (char c in s)
            if (c > 0x7f) return false;
        return true;
    }
}
