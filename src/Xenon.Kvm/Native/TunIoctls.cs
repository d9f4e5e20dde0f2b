namespace Xenon.Kvm.Native;

/// <summary>Request numbers and flags of the TUN/TAP driver (&lt;linux/if_tun.h&gt;) and of the interface ioctls on a
/// socket (&lt;linux/sockios.h&gt;, &lt;net/if.h&gt;). Checked against the headers by TapAbiLayoutTests.</summary>
internal static class TunIoctls
{
    // _IOW('T', n, int/unsigned int): direction write (1 << 30), size 4 (4 << 16), type 'T' (0x54 << 8).
    internal const nuint TUNSETIFF = 0x400454ca;
    internal const nuint TUNSETOFFLOAD = 0x400454d0;
    internal const nuint TUNSETVNETHDRSZ = 0x400454d8;

    // _IOR('T', n, int/unsigned int): direction read (2 << 30).
    internal const nuint TUNGETIFF = 0x800454d2;
    internal const nuint TUNGETFEATURES = 0x800454cf;
    internal const nuint TUNGETVNETHDRSZ = 0x800454d7;

    internal const short IFF_TAP = 0x0002;
    internal const short IFF_NO_PI = 0x1000;
    internal const short IFF_VNET_HDR = 0x4000;

    internal const nuint SIOCGIFFLAGS = 0x8913;
    internal const nuint SIOCSIFFLAGS = 0x8914;
    internal const nuint SIOCGIFMTU = 0x8921;
    internal const nuint SIOCSIFMTU = 0x8922;
    internal const nuint SIOCGIFINDEX = 0x8933;
    internal const nuint SIOCSIFHWADDR = 0x8924;
    internal const nuint SIOCGIFHWADDR = 0x8927;
    internal const ushort ARPHRD_ETHER = 1;

    /// <summary>Interface flags (ifr_flags): administratively up, and running (carrier).</summary>
    internal const short IFF_UP = 0x1;
    internal const short IFF_RUNNING = 0x40;

    internal const string TunPath = "/dev/net/tun";
}
