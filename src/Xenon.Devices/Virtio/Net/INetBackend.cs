using Xenon.Devices.Virtio.Queue;
using Xenon.Machine.IoEvents;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Virtio.Net;

/// <summary>
/// Where a virtio-net device's frames go and come from (a host tap today). Every frame in either direction is
/// prefixed by the 12-byte virtio_net_hdr_v1 (<see cref="VirtioNetHeader"/>), which carries checksum and
/// segmentation offload information. Calls come from the device's I/O thread, one at a time, and none may
/// allocate or throw for an ordinary failure.
/// </summary>
public interface INetBackend
{
    /// <summary>Reads one frame, header first, into <paramref name="buffer"/>. <see cref="NetBackendStatus.Empty"/>
    /// when none is queued. A frame longer than the buffer may be truncated to its length; the device passes a
    /// buffer one byte longer than any frame it accepts, so a full buffer means "too large".</summary>
    NetBackendStatus Receive(Span<byte> buffer, out int length);

    /// <summary>Sends one frame: <paramref name="header"/> (host memory, exactly the header size) followed by the
    /// bytes of <paramref name="frame"/>, segments of guest RAM already checked by the queue's chain walk.</summary>
    NetBackendStatus Send(ReadOnlySpan<byte> header, GuestMemory memory, ReadOnlySpan<DescriptorSegment> frame);

    /// <summary>Sends one frame already gathered in host memory, the header first (a device that copied it out of the
    /// guest, e.g. to complete the chain before sending).</summary>
    NetBackendStatus SendPacket(ReadOnlySpan<byte> packet);

    /// <summary>What received frames may be from now on (the driver's negotiated receive offloads). False if the
    /// host refused; frames then keep the previous form, and the device drops any the driver cannot take.</summary>
    bool SetOffloads(NetOffloads offloads);

    /// <summary>Whether the device wants to hear that frames are waiting (false while it has no receive buffers or
    /// is not running). Watchers installed by <see cref="Watch"/> follow this.</summary>
    void SetReceiveInterest(bool interested);

    /// <summary>Calls <paramref name="onReadable"/> on <paramref name="loop"/>'s thread while frames are waiting and
    /// the device is interested. Dispose the result to stop (it waits for a callback in progress, so never dispose
    /// it while holding a lock the callback takes).</summary>
    IDisposable Watch(IoEventLoop loop, Action onReadable);
}
