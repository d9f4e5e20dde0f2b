using System.Runtime.InteropServices;

namespace Xenon.Emulator.Execution;

/// <summary>
/// The calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID), for what a translation costs the vCPU thread: wall time around
/// it also counts whatever else the host's cores were doing, and .NET has no per-thread CPU clock of its own.
/// </summary>
internal static partial class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out Timespec ts);

    private static readonly bool Available = OperatingSystem.IsLinux();

    /// <summary>Nanoseconds of CPU the calling thread has used, or 0 where the clock is not available (only differences count).</summary>
    public static long Now()
    {
        if (!Available || ClockGetTime(ClockThreadCpuTimeId, out Timespec ts) != 0) return 0;
        return ts.Seconds * 1_000_000_000 + ts.Nanoseconds;
    }
}
