using System.Runtime.InteropServices;

namespace Xenon.Kvm.Native;

internal static unsafe partial class Libc
{
    internal const int CLOCK_MONOTONIC = 1;
    internal const int TFD_CLOEXEC = 0x80000, TFD_NONBLOCK = 0x800;

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int timerfd_create(int clockid, int flags);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int timerfd_settime(int fd, int flags, ITimerSpec* newValue, ITimerSpec* oldValue);
}

/// <summary>struct itimerspec (two struct timespec of 64-bit seconds and nanoseconds on x86-64).</summary>
[StructLayout(LayoutKind.Explicit, Size = 32)]
internal struct ITimerSpec
{
    [FieldOffset(0)] public long IntervalSeconds;
    [FieldOffset(8)] public long IntervalNanoseconds;
    [FieldOffset(16)] public long ValueSeconds;
    [FieldOffset(24)] public long ValueNanoseconds;
}
