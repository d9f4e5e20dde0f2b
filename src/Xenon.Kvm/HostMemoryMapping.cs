using System.ComponentModel;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Xenon.Kvm.Native;

namespace Xenon.Kvm;

/// <summary>
/// A read-write host mapping for guest RAM: either anonymous private memory with transparent huge
/// pages (the fast default: 2 MiB host pages mean far fewer faults and nested-paging TLB misses),
/// or a memfd mapped shared, so the same pages can be handed to a backend process or written to a
/// save file without copying. Released when disposed (or finalised).
/// </summary>
public sealed class HostMemoryMapping : SafeHandleZeroOrMinusOneIsInvalid
{
    public ulong Size { get; }

    /// <summary>The memfd behind the mapping (owned by this object); null for anonymous memory.</summary>
    public SafeFileHandle? MemFd { get; }

    private const ulong HugePageSize = 2UL << 20;

    private HostMemoryMapping(nint address, ulong size, SafeFileHandle? memfd) : base(ownsHandle: true)
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

    /// <summary>Anonymous private memory, 2 MiB-aligned and advised for transparent huge pages
    /// (as QEMU and Firecracker back guest RAM). Pages are allocated on first touch.</summary>
    public static HostMemoryMapping CreateAnonymous(ulong size)
    {
        if (size == 0 || (size & 0xfff) != 0)
            throw new ArgumentOutOfRangeException(nameof(size), size, "mapping size must be a non-zero multiple of 4096");
        // Over-map by one huge page and trim, so the region starts on a 2 MiB boundary and the
        // host can back it (and the guest's nested page tables) with huge pages.
        ulong span = size + HugePageSize;
        nint raw = Libc.mmap(0, (nuint)span, Libc.PROT_READ | Libc.PROT_WRITE,
            Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_NORESERVE, -1, 0);
        if (raw == Libc.MAP_FAILED) throw Error("mmap(anonymous)");
        ulong start = ((ulong)raw + HugePageSize - 1) & ~(HugePageSize - 1);
        ulong head = start - (ulong)raw, tail = span - head - size;
        if (head > 0) Libc.munmap(raw, (nuint)head);
        if (tail > 0) Libc.munmap((nint)(start + size), (nuint)tail);
        // Advice only: without THP support the mapping simply stays on 4 KiB pages.
        Libc.madvise((nint)start, (nuint)size, Libc.MADV_HUGEPAGE);
        return new HostMemoryMapping((nint)start, size, memfd: null);
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
        MemFd?.Dispose();
        return rc == 0;
    }

    private static Win32Exception Error(string what)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new Win32Exception(errno, $"{what} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
    }
}
