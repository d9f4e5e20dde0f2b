using System.Runtime.InteropServices;

namespace Xenon.Kvm.Native;

internal static partial class Libc
{
    internal const int O_RDWR = 0x2, O_CLOEXEC = 0x80000;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int open(string path, int flags);
}
