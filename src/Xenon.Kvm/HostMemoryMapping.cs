using System.ComponentModel;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Xenon.Kvm.Native;

namespace Xenon.Kvm;

/// <summary>
/// A read-write host mapping backed by a memfd, so the same pages can later be shared with a
/// backend process or written to a save file without copying. The mapping is released once
/// the object is disposed (or finalised).
/// </summary>
public sealed class HostMemoryMapping : SafeHandleZeroOrMinusOneIsInvalid
{
    public ulong Size { get; }

    /// <summary>The memfd behind the mapping (owned by this object).</summary>
    public SafeFileHandle MemFd { get; }

    private HostMemoryMapping(nint address, ulong size, SafeFileHandle memfd) : base(ownsHandle: true)
    {
        SetHandle(address);
        Size = size;
        MemFd = memfd;
    }

    public nint Address => handle;

    public static HostMemoryMapping CreateMemfd(string name, ulong size)
    {
        if (size == 0 || (size & 0xfff) != 0)
            throw new ArgumentOutOfRangeException(nameof(size), size, "mapping size must be a non-zero multiple of 4096");
        int fd = Libc.memfd_create(name, Libc.MFD_CLOEXEC);
        if (fd < 0) throw Error("memfd_create");
        var memfd = new SafeFileHandle(fd, ownsHandle: true);
        if (Libc.ftruncate(fd, (long)size) != 0)
        {
            var e = Error("ftruncate(memfd)");
            memfd.Dispose();
            throw e;
        }
        nint addr = Libc.mmap(0, (nuint)size, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED | Libc.MAP_NORESERVE, fd, 0);
        if (addr == Libc.MAP_FAILED)
        {
            var e = Error("mmap(memfd)");
            memfd.Dispose();
            throw e;
        }
        return new HostMemoryMapping(addr, size, memfd);
    }

    /// <summary>Drops the pages of [offset, offset+length) from this mapping (they read as zero afterwards).</summary>
    public void Discard(ulong offset, ulong length)
    {
        if (offset > Size || length > Size - offset) throw new ArgumentOutOfRangeException(nameof(length));
        if (Libc.madvise(handle + (nint)offset, (nuint)length, Libc.MADV_DONTNEED) != 0) throw Error("madvise(MADV_DONTNEED)");
    }

    protected override bool ReleaseHandle()
    {
        int rc = Libc.munmap(handle, (nuint)Size);
        MemFd.Dispose();
        return rc == 0;
    }

    private static Win32Exception Error(string what)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new Win32Exception(errno, $"{what} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
    }
}
