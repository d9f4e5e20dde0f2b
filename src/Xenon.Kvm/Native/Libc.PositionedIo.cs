using System.Runtime.InteropServices;
using Xenon.Kvm.Net;

namespace Xenon.Kvm.Native;

internal static unsafe partial class Libc
{
    internal const int O_RDONLY = 0x0, O_DIRECT = 0x4000;

    [LibraryImport("libc", SetLastError = true)]
    internal static partial nint pread(int fd, void* buffer, nuint count, long offset);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial nint pwrite(int fd, void* buffer, nuint count, long offset);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial nint preadv(int fd, IoVector* iov, int iovcnt, long offset);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial nint pwritev(int fd, IoVector* iov, int iovcnt, long offset);
}
