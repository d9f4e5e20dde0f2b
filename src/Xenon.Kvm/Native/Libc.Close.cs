using System.Runtime.InteropServices;

namespace Xenon.Kvm.Native;

internal static partial class Libc
{
    [LibraryImport("libc", SetLastError = true)]
    internal static partial int close(int fd);
}
