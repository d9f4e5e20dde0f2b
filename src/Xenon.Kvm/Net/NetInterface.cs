using Xenon.Kvm.Native;

namespace Xenon.Kvm.Net;

/// <summary>
/// Administrative state of a host network interface by name, through the classic interface ioctls on an
/// AF_INET datagram socket (SIOC[GS]IFFLAGS, SIOC[GS]IFMTU, SIOC[GS]IFHWADDR, SIOCGIFINDEX), so the toolstack needs no `ip`
/// binary to bring a tap up. Each call opens and closes its own socket: these are set-up operations, not I/O.
/// Setting needs CAP_NET_ADMIN.
/// </summary>
public static unsafe class NetInterface
{
    /// <summary>Sets or clears IFF_UP, keeping the other flags.</summary>
    public static void SetUp(string name, bool up)
    {
        InterfaceName.Validate(name);
        using var socket = OpenSocket();
        var request = TunIfReq.For(name);
        Ioctl.Call(socket, $"SIOCGIFFLAGS({name})", TunIoctls.SIOCGIFFLAGS, &request);
        request.Flags = up ? (short)(request.Flags | TunIoctls.IFF_UP) : (short)(request.Flags & ~TunIoctls.IFF_UP);
        Ioctl.Call(socket, $"SIOCSIFFLAGS({name})", TunIoctls.SIOCSIFFLAGS, &request);
    }

    public static bool IsUp(string name) => (GetFlags(name) & TunIoctls.IFF_UP) != 0;

    /// <summary>IFF_RUNNING: the link has carrier (for a tap: a reader has it open).</summary>
    public static bool IsRunning(string name) => (GetFlags(name) & TunIoctls.IFF_RUNNING) != 0;

    public static void SetMtu(string name, int mtu)
    {
        InterfaceName.Validate(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(mtu, 68);
        using var socket = OpenSocket();
        var request = TunIfReq.For(name);
        request.Value = mtu;
        Ioctl.Call(socket, $"SIOCSIFMTU({name})", TunIoctls.SIOCSIFMTU, &request);
    }

    public static int GetMtu(string name) => GetValue(name, TunIoctls.SIOCGIFMTU, "SIOCGIFMTU");

    /// <summary>Sets the interface's Ethernet address (SIOCSIFHWADDR). A tap takes it while down or up.</summary>
    public static void SetMacAddress(string name, ReadOnlySpan<byte> mac)
    {
        InterfaceName.Validate(name);
        if (mac.Length != 6) throw new ArgumentException($"an Ethernet address has 6 bytes, not {mac.Length}", nameof(mac));
        using var socket = OpenSocket();
        var request = TunIfReq.For(name);
        request.HardwareFamily = TunIoctls.ARPHRD_ETHER;
        mac.CopyTo(new Span<byte>(request.HardwareAddress, 6)); // 6 of the 14 sa_data bytes, checked above
        Ioctl.Call(socket, $"SIOCSIFHWADDR({name})", TunIoctls.SIOCSIFHWADDR, &request);
    }

    /// <summary>The interface's Ethernet address (SIOCGIFHWADDR).</summary>
    public static byte[] GetMacAddress(string name)
    {
        InterfaceName.Validate(name);
        using var socket = OpenSocket();
        var request = TunIfReq.For(name);
        Ioctl.Call(socket, $"SIOCGIFHWADDR({name})", TunIoctls.SIOCGIFHWADDR, &request);
        return new ReadOnlySpan<byte>(request.HardwareAddress, 6).ToArray();
    }

    /// <summary>The interface index (for binding packet sockets, netlink requests).</summary>
    public static int GetIndex(string name) => GetValue(name, TunIoctls.SIOCGIFINDEX, "SIOCGIFINDEX");

    private static short GetFlags(string name)
    {
        InterfaceName.Validate(name);
        using var socket = OpenSocket();
        var request = TunIfReq.For(name);
        Ioctl.Call(socket, $"SIOCGIFFLAGS({name})", TunIoctls.SIOCGIFFLAGS, &request);
        return request.Flags;
    }

    private static int GetValue(string name, nuint ioctl, string ioctlName)
    {
        InterfaceName.Validate(name);
        using var socket = OpenSocket();
        var request = TunIfReq.For(name);
        Ioctl.Call(socket, $"{ioctlName}({name})", ioctl, &request);
        return request.Value;
    }

    /// <summary>The AF_INET datagram socket the interface and bridge ioctls are issued on.</summary>
    internal static FileDescriptor OpenSocket()
    {
        int fd = Libc.socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) throw KvmException.FromLastError("socket(AF_INET, SOCK_DGRAM)");
        return new FileDescriptor(fd);
    }
}
