using System.Runtime.InteropServices;
using Xenon.Kvm.Abi;
using Xenon.Kvm.Native;

namespace Xenon.Kvm;

/// <summary>A Linux epoll instance: watches file descriptors and reports which are ready, each tagged with
/// the 64-bit token given at <see cref="Add"/>. Level-triggered. Thread-safe: each call is one syscall.</summary>
public sealed unsafe class Epoll : IDisposable
{
    private Epoll(FileDescriptor fd) => Handle = fd;

    public FileDescriptor Handle { get; }

    public static Epoll Create()
    {
        int fd = Libc.epoll_create1(Libc.EPOLL_CLOEXEC);
        if (fd < 0) throw KvmException.FromLastError("epoll_create1");
        return new Epoll(new FileDescriptor(fd));
    }

    /// <summary>EPOLL_CTL_ADD: watch <paramref name="fd"/> for <paramref name="events"/>, reporting <paramref name="token"/>.</summary>
    public void Add(FileDescriptor fd, EpollEvents events, ulong token)
        => Control(Libc.EPOLL_CTL_ADD, "epoll_ctl(EPOLL_CTL_ADD)", fd, events, token);

    /// <summary>EPOLL_CTL_MOD: change what <paramref name="fd"/> is watched for and its token.</summary>
    public void Modify(FileDescriptor fd, EpollEvents events, ulong token)
        => Control(Libc.EPOLL_CTL_MOD, "epoll_ctl(EPOLL_CTL_MOD)", fd, events, token);

    /// <summary>EPOLL_CTL_DEL. Must happen before <paramref name="fd"/> is closed: the kernel drops a closed
    /// fd by itself only once every duplicate of it is closed.</summary>
    public void Remove(FileDescriptor fd)
        => Control(Libc.EPOLL_CTL_DEL, "epoll_ctl(EPOLL_CTL_DEL)", fd, EpollEvents.None, 0);

    private void Control(int op, string name, FileDescriptor fd, EpollEvents events, ulong token)
    {
        bool addedSelf = false, addedTarget = false;
        try
        {
            Handle.DangerousAddRef(ref addedSelf);
            fd.DangerousAddRef(ref addedTarget);
            var ev = new EpollEvent { Events = events, Data = token };
            if (Libc.epoll_ctl(Handle.Number, op, fd.Number, &ev) < 0) throw KvmException.FromLastError(name);
        }
        finally
        {
            if (addedTarget) fd.DangerousRelease();
            if (addedSelf) Handle.DangerousRelease();
        }
    }

    /// <summary>epoll_wait: fills <paramref name="events"/> with ready fds and returns how many; 0 on timeout or
    /// when a signal interrupted the wait (callers loop anyway). <paramref name="timeoutMs"/> -1 waits forever.</summary>
    public int Wait(Span<EpollEvent> events, int timeoutMs)
    {
        if (events.IsEmpty) throw new ArgumentException("need room for at least one event", nameof(events));
        bool added = false;
        try
        {
            Handle.DangerousAddRef(ref added);
            fixed (EpollEvent* p = events)
            {
                int n = Libc.epoll_wait(Handle.Number, p, events.Length, timeoutMs);
                if (n >= 0) return n;
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR) return 0;
                throw new KvmException("epoll_wait", errno);
            }
        }
        finally
        {
            if (added) Handle.DangerousRelease();
        }
    }

    public void Dispose() => Handle.Dispose();
}
