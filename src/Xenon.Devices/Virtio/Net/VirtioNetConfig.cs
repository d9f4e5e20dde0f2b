using System.Buffers.Binary;

namespace Xenon.Devices.Virtio.Net;

/// <summary>
/// The device-specific configuration space (struct virtio_net_config) up to and including mtu: the MAC address,
/// the link status, max_virtqueue_pairs (1: there is one pair) and the MTU. Fields beyond (speed, duplex, RSS)
/// belong to features this device does not offer and read as zero.
/// </summary>
public static class VirtioNetConfig
{
    public const int Size = 12;

    public const int MacOffset = 0;
    public const int StatusOffset = 6;
    public const int MaxQueuePairsOffset = 8;
    public const int MtuOffset = 10;

    /// <summary>VIRTIO_NET_S_LINK_UP.</summary>
    public const ushort StatusLinkUp = 1;

    public static void Encode(Span<byte> destination, ReadOnlySpan<byte> mac, ushort status, ushort mtu)
    {
        var config = destination[..Size];
        config.Clear();
        mac[..6].CopyTo(config[MacOffset..]);
        BinaryPrimitives.WriteUInt16LittleEndian(config[StatusOffset..], status);
        BinaryPrimitives.WriteUInt16LittleEndian(config[MaxQueuePairsOffset..], 1);
        BinaryPrimitives.WriteUInt16LittleEndian(config[MtuOffset..], mtu);
    }
}
