using System.Runtime.InteropServices;

namespace Xenon.Kvm.Native;

internal static partial class Libc
{
    internal const int EFD_CLOEXEC = 0x80000, EFD_NONBLOCK = 0x800;

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int eventfd(uint initval, int flags);
}
