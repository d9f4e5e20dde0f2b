using System.Buffers.Binary;

namespace Xenon.Devices.Virtio.Console;

/// <summary>struct virtio_console_control: le32 id, le16 event, le16 value; PORT_NAME carries the name after it.</summary>
public readonly record struct ConsoleControlMessage(uint Id, ConsoleControlEvent Event, ushort Value)
{
    public const int Size = 8;

    public void Encode(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Id);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], (ushort)Event);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], Value);
    }

    /// <summary>Reads the header from at least <see cref="Size"/> bytes (the caller checks the length).</summary>
    public static ConsoleControlMessage Decode(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt32LittleEndian(source),
        (ConsoleControlEvent)BinaryPrimitives.ReadUInt16LittleEndian(source[4..]),
        BinaryPrimitives.ReadUInt16LittleEndian(source[6..]));
}
