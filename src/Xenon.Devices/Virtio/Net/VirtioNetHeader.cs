using System.Buffers.Binary;

namespace Xenon.Devices.Virtio.Net;

/// <summary>
/// struct virtio_net_hdr_v1, the 12 bytes before every frame in both directions (virtio 1.x always has
/// num_buffers), and the one place its fields are checked against the negotiated features.
/// </summary>
public static class VirtioNetHeader
{
    public const int Size = 12;

    public const int FlagsOffset = 0;
    public const int GsoTypeOffset = 1;
    public const int HeaderLengthOffset = 2;
    public const int GsoSizeOffset = 4;
    public const int ChecksumStartOffset = 6;
    public const int ChecksumOffsetOffset = 8;
    public const int NumBuffersOffset = 10;

    public const byte FlagNeedsChecksum = 1;
    public const byte FlagDataValid = 2;
    public const byte FlagRscInfo = 4;

    public const byte GsoNone = 0;
    public const byte GsoTcpV4 = 1;
    public const byte GsoUdp = 3;
    public const byte GsoTcpV6 = 4;
    public const byte GsoUdpL4 = 5;
    public const byte GsoEcn = 0x80;

    /// <summary>An Ethernet header: the shortest frame a tap takes or the device delivers.</summary>
    public const int EthernetHeaderSize = 14;

    /// <summary>
    /// Checks a driver's transmit header against what was negotiated and normalises it in place: the
    /// receive-only flags (DATA_VALID, RSC_INFO) and unknown flag bits are cleared, num_buffers is zeroed.
    /// False (drop the frame) when it asks for an offload the device never agreed to: NEEDS_CSUM without
    /// VIRTIO_NET_F_CSUM, a GSO type without the matching HOST_TSO4/6, ECN without HOST_ECN, UDP fragmentation.
    /// </summary>
    public static bool TryNormaliseForTransmit(Span<byte> header, ulong negotiated)
    {
        byte flags = (byte)(header[FlagsOffset] & FlagNeedsChecksum);
        if (flags != 0 && (negotiated & VirtioNetFeatures.Csum) == 0) return false;
        if (!IsGsoAccepted(header[GsoTypeOffset], negotiated, VirtioNetFeatures.HostTso4, VirtioNetFeatures.HostTso6, VirtioNetFeatures.HostEcn))
            return false;
        header[FlagsOffset] = flags;
        BinaryPrimitives.WriteUInt16LittleEndian(header[NumBuffersOffset..], 0);
        return true;
    }

    /// <summary>
    /// Checks a received frame's header against what the driver accepted and normalises it in place: without
    /// GUEST_CSUM the flags must be zero (a stale DATA_VALID is cleared; a NEEDS_CSUM frame cannot be delivered),
    /// with it only NEEDS_CSUM and DATA_VALID may be set; GSO only of a type the driver accepted. False: drop it
    /// (it arrived in a form set up for an earlier driver, or the backend ignored its offload settings).
    /// num_buffers is left for the device to set.
    /// </summary>
    public static bool TryNormaliseForReceive(Span<byte> header, ulong negotiated)
    {
        byte flags = header[FlagsOffset];
        if ((negotiated & VirtioNetFeatures.GuestCsum) == 0)
        {
            if ((flags & FlagNeedsChecksum) != 0) return false;
            flags = 0;
        }
        else
        {
            flags &= FlagNeedsChecksum | FlagDataValid;
        }
        if (!IsGsoAccepted(header[GsoTypeOffset], negotiated, VirtioNetFeatures.GuestTso4, VirtioNetFeatures.GuestTso6, VirtioNetFeatures.GuestEcn))
            return false;
        header[FlagsOffset] = flags;
        return true;
    }

    public static void SetNumBuffers(Span<byte> header, ushort count)
        => BinaryPrimitives.WriteUInt16LittleEndian(header[NumBuffersOffset..], count);

    public static ushort GetNumBuffers(ReadOnlySpan<byte> header)
        => BinaryPrimitives.ReadUInt16LittleEndian(header[NumBuffersOffset..]);

    private static bool IsGsoAccepted(byte gsoType, ulong negotiated, ulong tso4, ulong tso6, ulong ecn)
    {
        bool hasEcn = (gsoType & GsoEcn) != 0;
        ulong needed = (gsoType & ~GsoEcn) switch
        {
            GsoNone => 0,
            GsoTcpV4 => tso4,
            GsoTcpV6 => tso6,
            _ => ulong.MaxValue, // UDP fragmentation / segmentation and unknown types are never offered
        };
        if (needed == ulong.MaxValue) return false;
        if (needed == 0) return !hasEcn;
        return (negotiated & needed) != 0 && (!hasEcn || (negotiated & ecn) != 0);
    }
}
