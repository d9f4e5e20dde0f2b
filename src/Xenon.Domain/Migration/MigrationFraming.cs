using System.Buffers.Binary;
using System.Text;
using Xenon.Domain.Save;

namespace Xenon.Domain.Migration;

/// <summary>
/// The handshake's framing (docs/migration.md): <c>"XMIG"</c>, type (u16), reserved (u16, 0), payload length (u32, at
/// most <see cref="MaxPayload"/>), payload, CRC-32C over everything before it. Frames travel on the same byte streams as
/// the save stream, before and after it. A frame comes from the peer, so every field is checked before it is used.
/// </summary>
public static class MigrationFraming
{
    public const int HeaderSize = 12;
    public const int MaxPayload = 4096;

    /// <summary>The handshake's version, carried by <see cref="MigrationFrameType.Ready"/>. Version 2 added
    /// <see cref="MigrationFrameType.Progress"/>; version 3 sends Go right after End, without waiting for
    /// <see cref="MigrationFrameType.Received"/> (which it no longer sends). Peers of other versions would wait for
    /// each other, so versions must be equal. Version 4 leaves pages the source never touched out of the full pass,
    /// which is only right for a receiver that zeroes its RAM at the memory map (an older one keeps what its build
    /// wrote there).</summary>
    public const uint ProtocolVersion = 4;

    /// <summary>The size of a Progress frame's payload: the stream offset, u64.</summary>
    public const int ProgressPayloadSize = 8;

    public static ReadOnlySpan<byte> Magic => "XMIG"u8;

    public static void Write(Stream stream, MigrationFrameType type, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write(Encode(type, payload));
        stream.Flush();
    }

    /// <summary>One frame's bytes, for a caller that writes them together with other bytes.</summary>
    public static byte[] Encode(MigrationFrameType type, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > MaxPayload) throw new ArgumentException($"a frame's payload is at most {MaxPayload} bytes", nameof(payload));
        var frame = new byte[HeaderSize + payload.Length + SaveFormat.CrcSize];
        Magic.CopyTo(frame);
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(4), (ushort)type);
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(6), 0);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(8), (uint)payload.Length);
        payload.CopyTo(frame.AsSpan(HeaderSize));
        int body = HeaderSize + payload.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(body), Crc32C.Compute(frame.AsSpan(0, body)));
        return frame;
    }

    public static void Write(Stream stream, MigrationFrameType type, string text) => Write(stream, type, Truncate(text));

    public static byte[] Encode(MigrationFrameType type, string text) => Encode(type, Truncate(text));

    /// <summary>A Progress frame: the receiver has read, checked and applied the save stream up to <paramref name="offset"/>.</summary>
    public static void WriteProgress(Stream stream, long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        Span<byte> payload = stackalloc byte[ProgressPayloadSize];
        BinaryPrimitives.WriteUInt64LittleEndian(payload, (ulong)offset);
        Write(stream, MigrationFrameType.Progress, payload);
    }

    /// <summary>The offset a Progress frame carries (its length was checked by <see cref="Read"/>).</summary>
    public static long ProgressOffset(MigrationFrame frame)
    {
        if (frame.Type != MigrationFrameType.Progress) throw new ArgumentException($"a {frame.Type} frame carries no offset", nameof(frame));
        return (long)BinaryPrimitives.ReadUInt64LittleEndian(frame.Payload);
    }

    /// <summary>The Ready banner: the protocol version, then a line for people reading a capture.</summary>
    public static void WriteReady(Stream stream)
    {
        var payload = new byte[4 + ReadyText.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(payload, ProtocolVersion);
        ReadyText.CopyTo(payload.AsSpan(4));
        Write(stream, MigrationFrameType.Ready, payload);
    }

    private static ReadOnlySpan<byte> ReadyText => "xenon migration receiver ready, send binary domain data"u8;

    /// <summary>Reads one frame. Null if the stream ended cleanly before its first byte (the peer closed).</summary>
    /// <exception cref="MigrationProtocolException">The bytes are not a frame (wrong magic, reserved bits, length, CRC, truncation).</exception>
    public static MigrationFrame? Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> header = stackalloc byte[HeaderSize];
        int got = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        if (got == 0) return null;
        if (got < header.Length) throw new MigrationProtocolException($"handshake frame truncated: {got} of its {HeaderSize} header bytes");
        if (!header[..4].SequenceEqual(Magic))
            throw new MigrationProtocolException($"handshake frame: expected magic \"XMIG\", found {Convert.ToHexString(header[..4])} (is the peer a Xenon migration endpoint?)");
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        if (length > MaxPayload) throw new MigrationProtocolException($"handshake frame: payload length {length} is more than {MaxPayload}");
        var rest = new byte[length + SaveFormat.CrcSize];
        got = stream.ReadAtLeast(rest, rest.Length, throwOnEndOfStream: false);
        if (got < rest.Length) throw new MigrationProtocolException($"handshake frame truncated: {got} of its {rest.Length} payload and CRC bytes");
        uint crc = Crc32C.Finish(Crc32C.Append(Crc32C.Append(Crc32C.Initial, header), rest.AsSpan(0, (int)length)));
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(rest.AsSpan((int)length));
        if (crc != stored) throw new MigrationProtocolException($"handshake frame: stored CRC 0x{stored:x8}, computed 0x{crc:x8}");
        if (BinaryPrimitives.ReadUInt16LittleEndian(header[6..]) != 0) throw new MigrationProtocolException("handshake frame: reserved field is not zero");
        ushort type = BinaryPrimitives.ReadUInt16LittleEndian(header[4..]);
        if (!Enum.IsDefined((MigrationFrameType)type)) throw new MigrationProtocolException($"handshake frame: unknown type {type}");
        var payload = rest.AsSpan(0, (int)length).ToArray();
        if ((MigrationFrameType)type == MigrationFrameType.Ready)
        {
            if (payload.Length < 4) throw new MigrationProtocolException("handshake frame Ready: shorter than its 4-byte version");
            uint version = BinaryPrimitives.ReadUInt32LittleEndian(payload);
            if (version != ProtocolVersion)
                throw new MigrationProtocolException($"the receiver speaks migration protocol {version}, this build {ProtocolVersion}");
        }
        if ((MigrationFrameType)type == MigrationFrameType.Progress)
        {
            if (payload.Length != ProgressPayloadSize)
                throw new MigrationProtocolException($"handshake frame Progress: {payload.Length} bytes, not its {ProgressPayloadSize}-byte offset");
            if (BinaryPrimitives.ReadUInt64LittleEndian(payload) > long.MaxValue)
                throw new MigrationProtocolException("handshake frame Progress: the offset is beyond any stream");
        }
        return new MigrationFrame((MigrationFrameType)type, payload);
    }

    /// <summary>Reads the next frame and requires <paramref name="expected"/>; an Error frame becomes a
    /// <see cref="MigrationRefusedException"/> carrying the peer's reason. Progress frames before it are skipped.</summary>
    public static MigrationFrame Expect(Stream stream, MigrationFrameType expected)
    {
        MigrationFrame frame;
        do frame = Read(stream) ?? throw new EndOfStreamException($"the peer closed the connection before {expected}");
        while (frame.Type == MigrationFrameType.Progress && expected != MigrationFrameType.Progress);
        if (frame.Type == MigrationFrameType.Error) throw new MigrationRefusedException(frame.Text);
        if (frame.Type != expected) throw new MigrationProtocolException($"expected {expected}, the peer sent {frame.Type}");
        return frame;
    }

    private static byte[] Truncate(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return bytes.Length <= MaxPayload ? bytes : bytes.AsSpan(0, MaxPayload).ToArray();
    }
}
