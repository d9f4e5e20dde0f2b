using System.Runtime.InteropServices;

namespace Xenon.Kvm.Native;

internal static unsafe partial class Libc
{
    internal const int PROT_READ = 0x1, PROT_WRITE = 0x2;
    internal const int MAP_SHARED = 0x01, MAP_PRIVATE = 0x02, MAP_ANONYMOUS = 0x20, MAP_NORESERVE = 0x4000;
    internal const uint MFD_CLOEXEC = 0x1;
    internal const int MADV_DONTNEED = 4, MADV_HUGEPAGE = 14;
    internal static readonly nint MAP_FAILED = -1;

    [LibraryImport("libc", SetLastError = true)]
    internal static partial nint mmap(nint addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int munmap(nint addr, nuint length);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int madvise(nint addr, nuint length, int advice);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int memfd_create(string name, uint flags);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int ftruncate(int fd, long length);
}
