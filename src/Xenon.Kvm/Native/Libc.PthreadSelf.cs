using System.Runtime.InteropServices;

namespace Xenon.Kvm.Native;

internal static partial class Libc
{
    [LibraryImport("libc")]
    internal static partial nuint pthread_self();
}
