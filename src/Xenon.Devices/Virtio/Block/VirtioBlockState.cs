namespace Xenon.Devices.Virtio.Block;

/// <summary>
/// What a virtio-blk device keeps besides its queue (which the transport saves): the disk it was built for, to refuse
/// a state saved over another disk, and the driver session. Requests are served synchronously, so none is ever in
/// flight once the device is quiesced (<see cref="VirtioBlock.Quiesce"/>).
/// </summary>
/// <param name="CapacitySectors">The disk's size in 512-byte sectors, as config capacity tells the guest.</param>
/// <param name="ReadOnly">Whether the disk is read-only (VIRTIO_BLK_F_RO).</param>
/// <param name="Serial">The GET_ID answer (20 bytes, NUL-padded).</param>
/// <param name="Active">The driver had set DRIVER_OK (the device had its queue).</param>
/// <param name="NeedsReset">The device had found the ring broken and stopped serving it until a reset.</param>
public sealed record VirtioBlockState(ulong CapacitySectors, bool ReadOnly, byte[] Serial, bool Active, bool NeedsReset);
