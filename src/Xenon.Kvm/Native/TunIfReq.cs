using System.Runtime.InteropServices;
using System.Text;

namespace Xenon.Kvm.Native;

/// <summary><c>struct ifreq</c> (x86-64: 40 bytes): the interface name, then a union of which the tap and
/// interface ioctls use the 16-bit flags or the 32-bit MTU / index at the same offset.</summary>
[StructLayout(LayoutKind.Explicit, Size = 40)]
internal unsafe struct TunIfReq
{
    /// <summary>IFNAMSIZ: 15 name bytes and the terminating NUL.</summary>
    public const int NameSize = 16;

    [FieldOffset(0)] public fixed byte Name[NameSize];

    /// <summary>ifr_flags (TUNSETIFF's IFF_TAP etc., or SIOC[GS]IFFLAGS' IFF_UP etc.).</summary>
    [FieldOffset(16)] public short Flags;

    /// <summary>ifr_mtu / ifr_ifindex / ifr_ivalue.</summary>
    [FieldOffset(16)] public int Value;

    /// <summary>ifr_hwaddr.sa_family (ARPHRD_ETHER for an Ethernet address).</summary>
    [FieldOffset(16)] public ushort HardwareFamily;

    /// <summary>ifr_hwaddr.sa_data: the link-layer address (6 bytes for Ethernet) at its start.</summary>
    [FieldOffset(18)] public fixed byte HardwareAddress[14];

    /// <summary>A request naming <paramref name="name"/> (already validated by <see cref="Net.InterfaceName"/>; empty lets the kernel choose).</summary>
    public static TunIfReq For(string name)
    {
        var request = new TunIfReq();
        Encoding.ASCII.GetBytes(name, new Span<byte>(request.Name, NameSize - 1));
        return request;
    }

    /// <summary>The name the kernel wrote back (NUL-terminated).</summary>
    public string GetName()
    {
        fixed (byte* p = Name)
        {
            var bytes = new ReadOnlySpan<byte>(p, NameSize);
            int end = bytes.IndexOf((byte)0);
            return Encoding.ASCII.GetString(end < 0 ? bytes : bytes[..end]);
        }
    }
}
