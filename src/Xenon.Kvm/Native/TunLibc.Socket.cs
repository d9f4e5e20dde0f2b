using System.Runtime.InteropServices;

namespace Xenon.Kvm.Native;

// Declared beside the tap code because only the interface ioctls (SIOCSIFFLAGS, SIOCSIFMTU) need a socket.
internal static partial class Libc
{
    internal const int AF_INET = 2, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0x80000;
    internal const int O_NONBLOCK = 0x800;

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int socket(int domain, int type, int protocol);
}
