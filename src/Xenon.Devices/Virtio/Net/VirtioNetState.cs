namespace Xenon.Devices.Virtio.Net;

/// <summary>
/// What a virtio-net device keeps besides its two queues (which the transport saves).
/// </summary>
/// <remarks>
/// Receive may be caught half way: a frame read from the backend waits in the device for enough receive buffers,
/// and the buffers already popped for it (the stash) are no longer in the avail ring. Both are saved — the frame's
/// bytes and the stashed chains' head indices, in pop order — and the restored device walks those heads again in the
/// restored guest RAM, so the frame is delivered and no receive buffer of the driver is lost. Transmit holds nothing:
/// each chain is sent and completed in one step.
/// </remarks>
/// <param name="Mac">The MAC address the device was built with (config mac).</param>
/// <param name="Mtu">The advised MTU (config mtu).</param>
/// <param name="LinkStatus">Config status (VIRTIO_NET_S_LINK_UP).</param>
/// <param name="Active">The driver had set DRIVER_OK.</param>
/// <param name="NeedsReset">The device had found a ring broken and stopped until a reset.</param>
/// <param name="PendingFrame">A received frame (virtio-net header first) waiting for receive buffers; empty if none.</param>
/// <param name="StashedHeads">Receive chains popped for the pending frame (or kept for the next), oldest first.</param>
/// <param name="Counters">The <see cref="VirtioNetCounters"/> values, in their snapshot order.</param>
public sealed record VirtioNetState(byte[] Mac, ushort Mtu, ushort LinkStatus, bool Active, bool NeedsReset,
    byte[] PendingFrame, ushort[] StashedHeads, long[] Counters);
