using System.Runtime.InteropServices;

namespace Xenon.Kvm.Native;

internal static partial class Libc
{
    // x86-64 system call numbers (glibc 2.36 has wrappers for neither everywhere we run).
    internal const long SYS_pidfd_open = 434, SYS_pidfd_getfd = 438;

    /// <summary>glibc's syscall(2) with three integer arguments. It is variadic in C, but on x86-64 integer arguments
    /// of a variadic call travel in the same registers as a fixed one's.</summary>
    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    internal static partial long syscall3(long number, long arg0, long arg1, long arg2);
}
