using System.Runtime.InteropServices;

namespace Xenon.Kvm.Native;

internal static partial class Libc
{
    // SIGRTMIN is not a constant in glibc: it reserves the first real-time signals for itself.
    [LibraryImport("libc")]
    internal static partial int __libc_current_sigrtmin();
}
