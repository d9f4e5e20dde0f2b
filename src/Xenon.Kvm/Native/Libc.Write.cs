using System.Runtime.InteropServices;

namespace Xenon.Kvm.Native;

internal static unsafe partial class Libc
{
    [LibraryImport("libc", SetLastError = true)]
    internal static partial nint write(int fd, void* buffer, nuint count);
}
