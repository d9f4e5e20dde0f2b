using System.Runtime.InteropServices;
using Xenon.Kvm.Net;

namespace Xenon.Kvm.Native;

internal static unsafe partial class Libc
{
    /// <summary>IOV_MAX on Linux: writev refuses more vectors with EINVAL.</summary>
    internal const int IOV_MAX = 1024;

    [LibraryImport("libc", SetLastError = true)]
    internal static partial nint writev(int fd, IoVector* iov, int iovcnt);
}
