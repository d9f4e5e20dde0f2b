using Xenon.Kvm.Native;

namespace Xenon.Kvm.Net;

/// <summary>
/// Enslaves an interface to a Linux bridge and releases it (what Xen's vif-bridge script does with
/// <c>ip link set dev VIF master BRIDGE</c>), through the bridge ioctls SIOCBRADDIF/SIOCBRDELIF on an
/// AF_INET datagram socket: the ifreq names the bridge and carries the port's interface index. Needs CAP_NET_ADMIN.
/// </summary>
public static unsafe class BridgePort
{
    // linux/sockios.h
    private const nuint SIOCBRADDIF = 0x89a2, SIOCBRDELIF = 0x89a3;

    /// <summary>True if <paramref name="bridge"/> exists and is a bridge.</summary>
    public static bool IsBridge(string bridge) =>
        InterfaceName.IsValid(bridge, out _) && Directory.Exists($"/sys/class/net/{bridge}/bridge");

    public static void Add(string bridge, string port) => Call(bridge, port, SIOCBRADDIF, "SIOCBRADDIF");

    public static void Remove(string bridge, string port) => Call(bridge, port, SIOCBRDELIF, "SIOCBRDELIF");

    /// <summary>The bridge <paramref name="port"/> is enslaved to, or null.</summary>
    public static string? BridgeOf(string port)
    {
        InterfaceName.Validate(port);
        var link = $"/sys/class/net/{port}/brport/bridge";
        try
        {
            return Directory.Exists(link) || File.Exists(link) ? Path.GetFileName(new DirectoryInfo(link).ResolveLinkTarget(true)?.FullName) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static void Call(string bridge, string port, nuint request, string what)
    {
        InterfaceName.Validate(bridge);
        int index = NetInterface.GetIndex(port);
        using var socket = NetInterface.OpenSocket();
        var ifreq = TunIfReq.For(bridge);
        ifreq.Value = index;
        Ioctl.Call(socket, $"{what}({bridge}, {port})", request, &ifreq);
    }
}
