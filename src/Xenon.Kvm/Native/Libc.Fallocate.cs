using System.Runtime.InteropServices;

namespace Xenon.Kvm.Native;

internal static partial class Libc
{
    internal const int FALLOC_FL_KEEP_SIZE = 0x01, FALLOC_FL_PUNCH_HOLE = 0x02;

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int fallocate(SafeHandle fd, int mode, long offset, long length);
}
