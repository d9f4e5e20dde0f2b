using System.Runtime.InteropServices;

namespace Xenon.Kvm.Native;

internal static partial class Libc
{
    /// <param name="pid">A thread id (0: the calling thread); the mask is per thread.</param>
    [LibraryImport("libc", SetLastError = true)]
    internal static unsafe partial int sched_setaffinity(int pid, nuint cpusetsize, ulong* mask);

    [LibraryImport("libc", SetLastError = true)]
    internal static unsafe partial int sched_getaffinity(int pid, nuint cpusetsize, ulong* mask);
}
