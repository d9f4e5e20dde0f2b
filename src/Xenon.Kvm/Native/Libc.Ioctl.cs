using System.Runtime.InteropServices;

namespace Xenon.Kvm.Native;

internal static unsafe partial class Libc
{
    // Fixed-argument declarations: varargs are not supported by P/Invoke on Linux, and glibc's
    // x86-64 ioctl reads only the third register, so a pointer and a value form are both exact.
    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int ioctl(int fd, nuint request, void* arg);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int ioctl(int fd, nuint request, nuint arg);
}
