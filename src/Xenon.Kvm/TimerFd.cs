using System.Runtime.InteropServices;
using Xenon.Kvm.Native;

namespace Xenon.Kvm;

/// <summary>A one-shot Linux timerfd on CLOCK_MONOTONIC: readable once the time set by <see cref="Arm"/> has
/// passed, until <see cref="TryRead"/> consumes the expiry. Lets an epoll loop wait for "now + N µs" without a
/// thread of its own.</summary>
public sealed unsafe class TimerFd : IDisposable
{
    private TimerFd(FileDescriptor fd) => Handle = fd;

    public FileDescriptor Handle { get; }

    public static TimerFd Create()
    {
        int fd = Libc.timerfd_create(Libc.CLOCK_MONOTONIC, Libc.TFD_CLOEXEC | Libc.TFD_NONBLOCK);
        if (fd < 0) throw KvmException.FromLastError("timerfd_create");
        return new TimerFd(new FileDescriptor(fd));
    }

    /// <summary>Expires once, <paramref name="nanoseconds"/> from now (at least 1 ns: zero would disarm it).
    /// Re-arming replaces the previous expiry.</summary>
    public void Arm(long nanoseconds) => Set(Math.Max(nanoseconds, 1));

    /// <summary>Cancels a pending expiry (an expiry already signalled stays readable until read).</summary>
    public void Disarm() => Set(0);

    /// <summary>Consumes the expiry count. False when the timer has not expired since the last read.</summary>
    public bool TryRead(out ulong expirations) => Handle.TryReadCounter("read(timerfd)", out expirations);

    private void Set(long nanoseconds)
    {
        var spec = new ITimerSpec { ValueSeconds = nanoseconds / 1_000_000_000, ValueNanoseconds = nanoseconds % 1_000_000_000 };
        bool added = false;
        try
        {
            Handle.DangerousAddRef(ref added);
            if (Libc.timerfd_settime(Handle.Number, 0, &spec, null) != 0) throw KvmException.FromLastError("timerfd_settime");
        }
        finally
        {
            if (added) Handle.DangerousRelease();
        }
    }

    public void Dispose() => Handle.Dispose();
}
