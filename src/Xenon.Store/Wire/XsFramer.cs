using System.Buffers;

namespace Xenon.Store.Wire;

/// <summary>Outcome of one attempt to cut a message out of received bytes.</summary>
public enum XsFrameStatus
{
    /// <summary>Not enough bytes yet for a whole message; nothing was consumed.</summary>
    NeedMoreData,

    /// <summary>A whole message was cut out and consumed.</summary>
    Complete,

    /// <summary>The header announces a payload above XENSTORE_PAYLOAD_MAX: the stream cannot be trusted.</summary>
    PayloadTooLarge,
}

/// <summary>
/// Splits a byte stream into XenStore messages. Knows the header and the payload limit, nothing
/// about what messages mean; never throws on client bytes.
/// </summary>
public static class XsFramer
{
    /// <summary>
    /// Cuts the next message out of <paramref name="buffer"/>. On <see cref="XsFrameStatus.Complete"/>
    /// <paramref name="buffer"/> is advanced past the message; otherwise it is left as it was.
    /// </summary>
    public static XsFrameStatus TryReadFrame(ref ReadOnlySequence<byte> buffer, out XsHeader header, out ReadOnlySequence<byte> payload)
    {
        payload = default;
        header = default;
        if (buffer.Length < XsHeader.Size)
        {
            return XsFrameStatus.NeedMoreData;
        }

        Span<byte> raw = stackalloc byte[XsHeader.Size];
        buffer.Slice(0, XsHeader.Size).CopyTo(raw);
        header = XsHeader.Read(raw);
        if (header.Length > XsHeader.PayloadMax)
        {
            return XsFrameStatus.PayloadTooLarge;
        }

        var total = XsHeader.Size + (long)header.Length;
        if (buffer.Length < total)
        {
            return XsFrameStatus.NeedMoreData;
        }

        payload = buffer.Slice(XsHeader.Size, header.Length);
        buffer = buffer.Slice(total);
        return XsFrameStatus.Complete;
    }

    /// <summary>Span form of <see cref="TryReadFrame(ref ReadOnlySequence{byte}, out XsHeader, out ReadOnlySequence{byte})"/>.</summary>
    public static XsFrameStatus TryReadFrame(ReadOnlySpan<byte> data, out XsHeader header, out int consumed)
    {
        consumed = 0;
        header = default;
        if (data.Length < XsHeader.Size)
        {
            return XsFrameStatus.NeedMoreData;
        }

        header = XsHeader.Read(data);
        if (header.Length > XsHeader.PayloadMax)
        {
            return XsFrameStatus.PayloadTooLarge;
        }

        var total = XsHeader.Size + (int)header.Length;
        if (data.Length < total)
        {
            return XsFrameStatus.NeedMoreData;
        }

        consumed = total;
        return XsFrameStatus.Complete;
    }

    /// <summary>Writes header and payload into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int WriteFrame(Span<byte> destination, XsMessageType type, uint requestId, uint transactionId, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > XsHeader.PayloadMax)
        {
            throw new ArgumentException($"payload of {payload.Length} bytes exceeds XENSTORE_PAYLOAD_MAX", nameof(payload));
        }

        new XsHeader(type, requestId, transactionId, (uint)payload.Length).Write(destination);
        payload.CopyTo(destination[XsHeader.Size..]);
        return XsHeader.Size + payload.Length;
    }
}
