using System.Buffers.Binary;

namespace Xenon.Store.Wire;

/// <summary>The 16-byte header of every XenStore message (struct xsd_sockmsg), little-endian.</summary>
public readonly record struct XsHeader(XsMessageType Type, uint RequestId, uint TransactionId, uint Length)
{
    /// <summary>Size of the header on the wire.</summary>
    public const int Size = 16;

    /// <summary>XENSTORE_PAYLOAD_MAX: the largest payload either side may send.</summary>
    public const int PayloadMax = 4096;

    /// <summary>Decodes a header from the first 16 bytes of <paramref name="source"/>.</summary>
    public static XsHeader Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size)
        {
            throw new ArgumentException($"an XenStore header needs {Size} bytes, got {source.Length}", nameof(source));
        }

        return new XsHeader(
            (XsMessageType)BinaryPrimitives.ReadUInt32LittleEndian(source),
            BinaryPrimitives.ReadUInt32LittleEndian(source[4..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[8..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[12..]));
    }

    /// <summary>Encodes the header into the first 16 bytes of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"an XenStore header needs {Size} bytes, got {destination.Length}", nameof(destination));
        }

        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)Type);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], RequestId);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], TransactionId);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], Length);
    }
}
