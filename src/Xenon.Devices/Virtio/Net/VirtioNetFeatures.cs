namespace Xenon.Devices.Virtio.Net;

/// <summary>virtio-net feature bits (virtio 1.x, "Network Device": Feature bits; &lt;linux/virtio_net.h&gt;).</summary>
public static class VirtioNetFeatures
{
    /// <summary>The device takes frames with a partial checksum (the driver may send NEEDS_CSUM).</summary>
    public const ulong Csum = 1UL << 0;

    /// <summary>The driver takes frames with a partial checksum (the device may deliver NEEDS_CSUM / DATA_VALID).</summary>
    public const ulong GuestCsum = 1UL << 1;

    public const ulong ControlGuestOffloads = 1UL << 2;
    public const ulong Mtu = 1UL << 3;
    public const ulong Mac = 1UL << 5;
    public const ulong GuestTso4 = 1UL << 7;
    public const ulong GuestTso6 = 1UL << 8;
    public const ulong GuestEcn = 1UL << 9;
    public const ulong GuestUfo = 1UL << 10;
    public const ulong HostTso4 = 1UL << 11;
    public const ulong HostTso6 = 1UL << 12;
    public const ulong HostEcn = 1UL << 13;
    public const ulong HostUfo = 1UL << 14;
    public const ulong MergeableRxBuffers = 1UL << 15;
    public const ulong Status = 1UL << 16;
    public const ulong ControlQueue = 1UL << 17;

    // Ring features: VirtQueue implements both, so the device offers them; the transport applies them to the queues.
    public const ulong RingIndirectDesc = 1UL << 28;
    public const ulong RingEventIdx = 1UL << 29;

    /// <summary>The checksum and segmentation offloads in both directions (offered unless the device is built without them).</summary>
    public const ulong Offloads = Csum | GuestCsum | HostTso4 | HostTso6 | HostEcn | GuestTso4 | GuestTso6 | GuestEcn;

    /// <summary>What the backend may hand the device for the driver, given the features the driver accepted.
    /// The spec's dependencies are applied here, so a driver that accepted TSO without its checksum feature (which
    /// it must not) gets complete frames only: GUEST_TSO4/6 count only with GUEST_CSUM, GUEST_ECN only with one of them.</summary>
    public static NetOffloads ReceiveOffloads(ulong negotiated)
    {
        if ((negotiated & GuestCsum) == 0) return NetOffloads.None;
        var offloads = NetOffloads.Checksum;
        if ((negotiated & GuestTso4) != 0) offloads |= NetOffloads.Tso4;
        if ((negotiated & GuestTso6) != 0) offloads |= NetOffloads.Tso6;
        if ((negotiated & GuestEcn) != 0 && (offloads & (NetOffloads.Tso4 | NetOffloads.Tso6)) != 0) offloads |= NetOffloads.TsoEcn;
        return offloads;
    }
}
