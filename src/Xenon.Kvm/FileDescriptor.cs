using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Xenon.Kvm.Native;

namespace Xenon.Kvm;

/// <summary>An owned Linux file descriptor (a KVM system, VM or vCPU fd, an eventfd), closed once on dispose.</summary>
public sealed unsafe class FileDescriptor : SafeHandleMinusOneIsInvalid
{
    internal FileDescriptor(int fd) : base(ownsHandle: true) => SetHandle(fd);

    /// <summary>The raw number, for passing to another kernel interface (e.g. an irqfd registration).
    /// Valid only while this object is alive.</summary>
    public int Number => (int)handle;

    /// <summary>Reads the 8-byte counter of a non-blocking eventfd or timerfd (which resets it), retrying on EINTR.
    /// False when there is nothing to read (EAGAIN); other errors throw naming <paramref name="what"/>.</summary>
    internal bool TryReadCounter(string what, out ulong value)
    {
        ulong v = 0;
        bool added = false;
        try
        {
            DangerousAddRef(ref added);
            while (true)
            {
                nint n = Libc.read(Number, &v, sizeof(ulong));
                if (n == sizeof(ulong)) break;
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR) continue;
                if (errno == Errno.EAGAIN)
                {
                    value = 0;
                    return false;
                }
                throw new KvmException(what, errno);
            }
        }
        finally
        {
            if (added) DangerousRelease();
        }
        value = v;
        return true;
    }

    protected override bool ReleaseHandle() => Libc.close((int)handle) == 0;
}
