using System.Runtime.InteropServices;

namespace Xenon.Kvm.Native;

internal static partial class Libc
{
    /// <summary>Returns an error number (0 on success); it does not set errno.</summary>
    [LibraryImport("libc")]
    internal static partial int pthread_kill(nuint thread, int signal);
}
