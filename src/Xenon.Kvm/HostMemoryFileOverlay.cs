using System.ComponentModel;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Xenon.Kvm.Native;

namespace Xenon.Kvm;

/// <summary>
/// Puts part of a file privately over part of a <see cref="HostMemoryMapping"/> (lazy restore of guest RAM from a
/// saved image): mmap(MAP_PRIVATE | MAP_FIXED) at the same host address, so whatever already refers to that address
/// (KVM's memory slots, spans handed out earlier) stays valid and now sees the file. Reads come from the page cache
/// on first touch; the first write to a page copies it (copy-on-write), so the file is never written.
/// </summary>
/// <remarks>
/// What changes for the overlaid range: MADV_DONTNEED (balloon, free page reporting) drops the private copy and the
/// page then reads as the file's content again, not as zeroes; transparent huge pages no longer apply (the kernel only
/// collapses anonymous mappings); and the file must not be truncated or written in place while it is mapped (the
/// pages not yet copied would change, or fault with SIGBUS past a new end). Replacing the file by rename or deleting
/// it is harmless: the mapping holds the old inode.
/// </remarks>
public static class HostMemoryFileOverlay
{
    /// <summary>
    /// Maps <paramref name="length"/> bytes of <paramref name="file"/> from <paramref name="fileOffset"/> privately over
    /// [<paramref name="offset"/>, offset + length) of <paramref name="mapping"/>. Every value must be host-page aligned
    /// and the range inside the mapping. A memfd-backed mapping is refused: other processes share its pages, and an
    /// overlay would silently stop sharing them.
    /// </summary>
    /// <exception cref="ArgumentException">Misaligned, empty or outside the mapping, or a memfd mapping.</exception>
    /// <exception cref="Win32Exception">mmap failed (the range keeps its previous content).</exception>
    public static void MapPrivate(HostMemoryMapping mapping, ulong offset, ulong length, SafeFileHandle file, long fileOffset)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        ArgumentNullException.ThrowIfNull(file);
        CheckRange(mapping, offset, length);
        if (fileOffset < 0 || ((ulong)fileOffset & PageMask) != 0)
            throw new ArgumentException($"file offset {fileOffset} is not host-page aligned", nameof(fileOffset));
        if (mapping.MemFd is not null) throw new ArgumentException("a memfd-backed mapping is shared with other processes; it cannot take a private overlay", nameof(mapping));
        bool mappingRef = false, fileRef = false;
        try
        {
            mapping.DangerousAddRef(ref mappingRef);
            file.DangerousAddRef(ref fileRef);
            nint at = mapping.Address + (nint)offset;
            // MAP_FIXED replaces exactly the range given; with the checks above it lies inside our own mapping.
            nint got = Libc.mmap(at, (nuint)length, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_PRIVATE | Libc.MAP_FIXED | Libc.MAP_NORESERVE,
                (int)file.DangerousGetHandle(), fileOffset);
            if (got == Libc.MAP_FAILED) throw Error("mmap(MAP_PRIVATE | MAP_FIXED, file)");
            if (got != at) throw new InvalidOperationException($"mmap(MAP_FIXED) placed the overlay at 0x{got:x}, not 0x{at:x}");
        }
        finally
        {
            if (fileRef) file.DangerousRelease();
            if (mappingRef) mapping.DangerousRelease();
        }
    }

    /// <summary>
    /// Faults [<paramref name="offset"/>, offset + <paramref name="length"/>) in for reading, so that later first
    /// touches find their page-table entries (MADV_POPULATE_READ; where the kernel lacks it, MADV_WILLNEED only starts
    /// the reads). Never writes: no page is copied. False with the errno if the kernel refused; nothing depends on it.
    /// </summary>
    public static bool TryPopulateRead(HostMemoryMapping mapping, ulong offset, ulong length, out int errno)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        if (length == 0 || ((offset | length) & PageMask) != 0 || offset > mapping.Size || length > mapping.Size - offset)
        {
            errno = Errno.EINVAL;
            return false;
        }
        bool added = false;
        try
        {
            mapping.DangerousAddRef(ref added);
            nint at = mapping.Address + (nint)offset;
            int rc = Libc.madvise(at, (nuint)length, Libc.MADV_POPULATE_READ);
            errno = rc == 0 ? 0 : Marshal.GetLastPInvokeError();
            if (rc != 0 && errno == Errno.EINVAL)
            {
                // Before Linux 5.14: ask for read-ahead instead.
                rc = Libc.madvise(at, (nuint)length, Libc.MADV_WILLNEED);
                errno = rc == 0 ? 0 : Marshal.GetLastPInvokeError();
            }
            return rc == 0;
        }
        finally
        {
            if (added) mapping.DangerousRelease();
        }
    }

    private static ulong PageMask => (ulong)Environment.SystemPageSize - 1;

    private static void CheckRange(HostMemoryMapping mapping, ulong offset, ulong length)
    {
        if (length == 0 || ((offset | length) & PageMask) != 0)
            throw new ArgumentException($"range 0x{offset:x}+0x{length:x} is empty or not host-page aligned");
        if (offset > mapping.Size || length > mapping.Size - offset)
            throw new ArgumentException($"range 0x{offset:x}+0x{length:x} is outside the 0x{mapping.Size:x}-byte mapping");
    }

    private static Win32Exception Error(string what)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new Win32Exception(errno, $"{what} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
    }
}
