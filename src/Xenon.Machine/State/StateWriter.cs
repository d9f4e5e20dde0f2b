using System.Buffers;
using System.Buffers.Binary;

namespace Xenon.Machine.State;

/// <summary>Appends little-endian fields to a growing buffer: the one way state records are written.</summary>
internal sealed class StateWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);

    public void Magic(ReadOnlySpan<byte> magic, ushort version)
    {
        Bytes(magic);
        U16(version);
        U16(0); // reserved for flags; readers refuse non-zero so a later meaning cannot be silently ignored
    }

    public void U8(byte value)
    {
        _buffer.GetSpan(1)[0] = value;
        _buffer.Advance(1);
    }

    public void U8(bool value) => U8(value ? (byte)1 : (byte)0);

    public void U16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.GetSpan(2), value);
        _buffer.Advance(2);
    }

    public void U32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    public void U64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    public void Bytes(ReadOnlySpan<byte> data) => _buffer.Write(data);

    /// <summary>A u32 length, then the bytes.</summary>
    public void Blob(ReadOnlySpan<byte> data)
    {
        U32((uint)data.Length);
        Bytes(data);
    }

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
}
