using System.Runtime.InteropServices;

namespace Xenon.Kvm.Native;

/// <summary>ioctl on a <see cref="FileDescriptor"/>: keeps the fd referenced for the duration of the call
/// (so a concurrent Dispose cannot close it underneath, or let the number be reused) and turns -1 into
/// a <see cref="KvmException"/> naming the request.</summary>
internal static unsafe class Ioctl
{
    internal static int Call(FileDescriptor fd, string name, nuint request, void* arg)
    {
        int rc = TryCall(fd, request, arg, out int errno);
        if (rc < 0) throw new KvmException(name, errno);
        return rc;
    }

    internal static int Call(FileDescriptor fd, string name, nuint request, nuint value)
    {
        int rc = TryCall(fd, request, value, out int errno);
        if (rc < 0) throw new KvmException(name, errno);
        return rc;
    }

    /// <summary>Returns the ioctl's result; on -1 <paramref name="errno"/> holds the error (0 otherwise).</summary>
    internal static int TryCall(FileDescriptor fd, nuint request, void* arg, out int errno)
    {
        bool added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            int rc = Libc.ioctl(fd.Number, request, arg);
            errno = rc < 0 ? Marshal.GetLastPInvokeError() : 0;
            return rc;
        }
        finally
        {
            if (added) fd.DangerousRelease();
        }
    }

    internal static int TryCall(FileDescriptor fd, nuint request, nuint value, out int errno)
    {
        bool added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            int rc = Libc.ioctl(fd.Number, request, value);
            errno = rc < 0 ? Marshal.GetLastPInvokeError() : 0;
            return rc;
        }
        finally
        {
            if (added) fd.DangerousRelease();
        }
    }
}
