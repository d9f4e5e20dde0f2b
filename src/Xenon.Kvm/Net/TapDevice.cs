using Xenon.Kvm.Native;

namespace Xenon.Kvm.Net;

/// <summary>
/// A Linux TAP interface opened through /dev/net/tun: each read returns one Ethernet frame the host sent to the
/// interface, each write injects one frame as if received on it. Opened with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR
/// and a 12-byte vnet header (virtio 1.x's <c>struct virtio_net_hdr_v1</c>), so every frame in either direction
/// is prefixed by that header and a virtio-net device passes it through unchanged. The descriptor is
/// non-blocking and close-on-exec; the interface is not persistent (it disappears when this is disposed).
/// I/O is in TapDevice.Io.cs.
/// </summary>
/// <remarks>The header's 16-bit fields are in the host's byte order for a tap; on x86-64 that is the little
/// endian virtio 1.x uses, so no TUNSETVNETLE is needed.</remarks>
public sealed unsafe partial class TapDevice : IDisposable
{
    /// <summary>Bytes of the vnet header before every frame: virtio_net_hdr (10) plus num_buffers (2).</summary>
    public const int VnetHeaderSize = 12;

    private TapDevice(FileDescriptor handle, string name)
    {
        Handle = handle;
        Name = name;
    }

    /// <summary>The tap's descriptor, for an epoll loop to watch (readable = a frame is queued).</summary>
    public FileDescriptor Handle { get; }

    /// <summary>The interface name the kernel gave (the requested one, or e.g. "tap0").</summary>
    public string Name { get; }

    /// <summary>Creates (or attaches to an existing persistent) tap interface. Needs CAP_NET_ADMIN.</summary>
    /// <param name="name">Interface name (e.g. "vif1.0", the name Xen's toolstack would give domain 1's first vif);
    /// null or empty lets the kernel choose ("tap%d").</param>
    public static TapDevice Open(string? name = null)
    {
        if (!string.IsNullOrEmpty(name)) InterfaceName.Validate(name);
        int fd = Libc.open(TunIoctls.TunPath, Libc.O_RDWR | Libc.O_CLOEXEC | Libc.O_NONBLOCK);
        if (fd < 0) throw KvmException.FromLastError($"open({TunIoctls.TunPath})");
        var handle = new FileDescriptor(fd);
        try
        {
            var request = TunIfReq.For(name ?? "");
            request.Flags = TunIoctls.IFF_TAP | TunIoctls.IFF_NO_PI | TunIoctls.IFF_VNET_HDR;
            Ioctl.Call(handle, $"TUNSETIFF({name})", TunIoctls.TUNSETIFF, &request);
            int headerSize = VnetHeaderSize;
            Ioctl.Call(handle, "TUNSETVNETHDRSZ", TunIoctls.TUNSETVNETHDRSZ, &headerSize);
            // Until a device says what its guest accepts, the kernel must hand over only complete frames.
            Ioctl.Call(handle, "TUNSETOFFLOAD", TunIoctls.TUNSETOFFLOAD, (nuint)TunOffloads.None);
            return new TapDevice(handle, request.GetName());
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>TUNSETOFFLOAD: what frames read from the tap may be (see <see cref="TunOffloads"/>). Returns false,
    /// with the errno, if the kernel refuses the combination.</summary>
    public bool TrySetOffloads(TunOffloads offloads, out int errno)
        => Ioctl.TryCall(Handle, TunIoctls.TUNSETOFFLOAD, (nuint)offloads, out errno) >= 0;

    public void SetOffloads(TunOffloads offloads)
        => Ioctl.Call(Handle, "TUNSETOFFLOAD", TunIoctls.TUNSETOFFLOAD, (nuint)offloads);

    /// <summary>TUNGETVNETHDRSZ: the vnet header size the kernel uses for this tap.</summary>
    public int GetVnetHeaderSize()
    {
        int size = 0;
        Ioctl.Call(Handle, "TUNGETVNETHDRSZ", TunIoctls.TUNGETVNETHDRSZ, &size);
        return size;
    }

    /// <summary>TUNGETIFF: the IFF_* flags the tap was created with.</summary>
    public int GetFlags()
    {
        var request = new TunIfReq();
        Ioctl.Call(Handle, "TUNGETIFF", TunIoctls.TUNGETIFF, &request);
        return (ushort)request.Flags;
    }

    /// <summary>Brings the interface up or down (SIOCSIFFLAGS on its name).</summary>
    public void SetLinkUp(bool up = true) => NetInterface.SetUp(Name, up);

    public void SetMtu(int mtu) => NetInterface.SetMtu(Name, mtu);

    /// <summary>The host side's own Ethernet address (not the guest's, which its frames carry).</summary>
    public void SetMacAddress(ReadOnlySpan<byte> mac) => NetInterface.SetMacAddress(Name, mac);

    public int GetMtu() => NetInterface.GetMtu(Name);

    public void Dispose() => Handle.Dispose();
}
