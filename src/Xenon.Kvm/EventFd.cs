using System.Runtime.InteropServices;
using Xenon.Kvm.Native;

namespace Xenon.Kvm;

/// <summary>A Linux eventfd: a 64-bit counter the kernel can signal (ioeventfd) or wait on (irqfd).
/// <see cref="Signal"/> adds to it; <see cref="TryRead"/> returns and resets it.</summary>
public sealed unsafe class EventFd : IDisposable
{
    private EventFd(FileDescriptor fd) => Handle = fd;

    public FileDescriptor Handle { get; }

    /// <param name="nonBlocking">With true, <see cref="TryRead"/> returns false instead of blocking when the counter is zero.</param>
    public static EventFd Create(bool nonBlocking = true, uint initialValue = 0)
    {
        int flags = Libc.EFD_CLOEXEC | (nonBlocking ? Libc.EFD_NONBLOCK : 0);
        int fd = Libc.eventfd(initialValue, flags);
        if (fd < 0) throw KvmException.FromLastError("eventfd");
        return new EventFd(new FileDescriptor(fd));
    }

    /// <summary>Adds <paramref name="value"/> to the counter, waking any reader.</summary>
    public void Signal(ulong value = 1)
    {
        bool added = false;
        try
        {
            Handle.DangerousAddRef(ref added);
            nint n = Libc.write(Handle.Number, &value, sizeof(ulong));
            if (n != sizeof(ulong)) throw KvmException.FromLastError("write(eventfd)");
        }
        finally
        {
            if (added) Handle.DangerousRelease();
        }
    }

    /// <summary>Reads and clears the counter. False if it was zero and the eventfd is non-blocking.</summary>
    public bool TryRead(out ulong value) => Handle.TryReadCounter("read(eventfd)", out value);

    public void Dispose() => Handle.Dispose();
}
