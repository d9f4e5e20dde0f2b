using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Xenon.Kvm.Native;
using Xenon.Kvm.Net;

namespace Xenon.Kvm.Tests;

/// <summary>The tap ABI (ifreq, iovec, TUN/SIOC ioctl numbers and flags, the vnet header size) checked against gcc and the Linux headers.</summary>
public sealed class TapAbiLayoutTests
{
    private static readonly string[] NetHeaders =
        ["stdio.h", "stddef.h", "limits.h", "fcntl.h", "sys/ioctl.h", "sys/socket.h", "sys/uio.h", "net/if.h", "linux/if_tun.h", "linux/if_arp.h", "linux/sockios.h", "linux/virtio_net.h"];

    [Fact]
    public void StructsIoctlNumbersAndFlagsMatchTheLinuxHeaders()
    {
        var checks = new List<(string C, ulong CSharp)>
        {
            ("sizeof(struct ifreq)", (ulong)Unsafe.SizeOf<TunIfReq>()),
            ("IFNAMSIZ", TunIfReq.NameSize),
            ("offsetof(struct ifreq, ifr_name)", (ulong)Marshal.OffsetOf<TunIfReq>(nameof(TunIfReq.Name))),
            ("offsetof(struct ifreq, ifr_flags)", (ulong)Marshal.OffsetOf<TunIfReq>(nameof(TunIfReq.Flags))),
            ("offsetof(struct ifreq, ifr_mtu)", (ulong)Marshal.OffsetOf<TunIfReq>(nameof(TunIfReq.Value))),
            ("offsetof(struct ifreq, ifr_ifindex)", (ulong)Marshal.OffsetOf<TunIfReq>(nameof(TunIfReq.Value))),
            ("offsetof(struct ifreq, ifr_hwaddr.sa_family)", (ulong)Marshal.OffsetOf<TunIfReq>(nameof(TunIfReq.HardwareFamily))),
            ("offsetof(struct ifreq, ifr_hwaddr.sa_data)", (ulong)Marshal.OffsetOf<TunIfReq>(nameof(TunIfReq.HardwareAddress))),
            ("sizeof(((struct ifreq*)0)->ifr_hwaddr.sa_data)", 14),
            ("SIOCSIFHWADDR", TunIoctls.SIOCSIFHWADDR),
            ("SIOCGIFHWADDR", TunIoctls.SIOCGIFHWADDR),
            ("ARPHRD_ETHER", (ulong)TunIoctls.ARPHRD_ETHER),
            ("sizeof(((struct ifreq*)0)->ifr_mtu)", sizeof(int)),
            ("sizeof(struct iovec)", (ulong)Unsafe.SizeOf<IoVector>()),
            ("offsetof(struct iovec, iov_base)", (ulong)Marshal.OffsetOf<IoVector>(nameof(IoVector.Base))),
            ("offsetof(struct iovec, iov_len)", (ulong)Marshal.OffsetOf<IoVector>(nameof(IoVector.Length))),
            ("sizeof(struct virtio_net_hdr_v1)", TapDevice.VnetHeaderSize),
            ("sizeof(struct virtio_net_hdr_mrg_rxbuf)", TapDevice.VnetHeaderSize),
            ("TUNSETIFF", TunIoctls.TUNSETIFF),
            ("TUNSETOFFLOAD", TunIoctls.TUNSETOFFLOAD),
            ("TUNSETVNETHDRSZ", TunIoctls.TUNSETVNETHDRSZ),
            ("TUNGETIFF", TunIoctls.TUNGETIFF),
            ("TUNGETFEATURES", TunIoctls.TUNGETFEATURES),
            ("TUNGETVNETHDRSZ", TunIoctls.TUNGETVNETHDRSZ),
            ("IFF_TAP", (ulong)TunIoctls.IFF_TAP),
            ("IFF_NO_PI", (ulong)TunIoctls.IFF_NO_PI),
            ("IFF_VNET_HDR", (ulong)TunIoctls.IFF_VNET_HDR),
            ("TUN_F_CSUM", (ulong)TunOffloads.Checksum),
            ("TUN_F_TSO4", (ulong)TunOffloads.Tso4),
            ("TUN_F_TSO6", (ulong)TunOffloads.Tso6),
            ("TUN_F_TSO_ECN", (ulong)TunOffloads.TsoEcn),
            ("TUN_F_UFO", (ulong)TunOffloads.Ufo),
            ("SIOCGIFFLAGS", TunIoctls.SIOCGIFFLAGS),
            ("SIOCSIFFLAGS", TunIoctls.SIOCSIFFLAGS),
            ("SIOCGIFMTU", TunIoctls.SIOCGIFMTU),
            ("SIOCSIFMTU", TunIoctls.SIOCSIFMTU),
            ("SIOCGIFINDEX", TunIoctls.SIOCGIFINDEX),
            ("IFF_UP", (ulong)TunIoctls.IFF_UP),
            ("IFF_RUNNING", (ulong)TunIoctls.IFF_RUNNING),
            ("AF_INET", Libc.AF_INET),
            ("SOCK_DGRAM", Libc.SOCK_DGRAM),
            ("SOCK_CLOEXEC", Libc.SOCK_CLOEXEC),
            ("O_NONBLOCK", Libc.O_NONBLOCK),
            ("IOV_MAX", Libc.IOV_MAX),
        };

        var native = NativeLayoutProbe.Evaluate(checks.ConvertAll(c => c.C), NetHeaders, "linux/if_tun.h", out string skip, out _);
        if (native is null) Assert.Skip(skip);

        var mismatches = new StringBuilder();
        foreach (var (c, cs) in checks)
            if (native[c] != cs) mismatches.AppendLine($"{c}: C says {native[c]} (0x{native[c]:x}), C# has {cs} (0x{cs:x})");
        Assert.True(mismatches.Length == 0, $"layout checks differ:\n{mismatches}");
    }
}
