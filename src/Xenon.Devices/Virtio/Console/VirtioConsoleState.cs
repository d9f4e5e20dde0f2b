namespace Xenon.Devices.Virtio.Console;

/// <summary>
/// What a virtio-console keeps besides its queues (which the transport saves): each port's driver-side state and
/// counters, the announcements waiting for control buffers, and host input the guest has not read.
/// </summary>
/// <param name="Active">The driver had set DRIVER_OK.</param>
/// <param name="NeedsReset">The device had found a ring broken and stopped until a reset.</param>
/// <param name="Ports">One entry per port, in port order (the restoring device must have as many).</param>
/// <param name="PendingControl">Announcements not yet delivered to the driver, oldest first.</param>
/// <param name="DroppedControl">Announcements dropped for want of control buffers.</param>
/// <param name="InvalidControl">Malformed control messages from the driver.</param>
public sealed record VirtioConsoleState(bool Active, bool NeedsReset, VirtioConsolePortState[] Ports,
    ConsoleControlMessage[] PendingControl, long DroppedControl, long InvalidControl);

/// <summary>One port's part of <see cref="VirtioConsoleState"/>.</summary>
/// <param name="GuestReady">The driver answered PORT_READY(1).</param>
/// <param name="GuestOpen">A guest program had the port open.</param>
/// <param name="HostOpenReported">What the device last told the driver about the host end.</param>
/// <param name="TransmitPending">A transmit chain was popped and only partly taken by a full backend.</param>
/// <param name="TransmitHead">That chain's head (0 when none).</param>
/// <param name="TransmitOffset">Readable bytes of that chain already given to the backend.</param>
/// <param name="PendingInput">Host input the guest had not read (an <see cref="IBufferedPortBackend"/>'s buffer).</param>
public sealed record VirtioConsolePortState(bool GuestReady, bool GuestOpen, bool HostOpenReported, bool TransmitPending,
    ushort TransmitHead, ulong TransmitOffset, long BytesToGuest, long BytesFromGuest, long BytesDropped, byte[] PendingInput);
