using System.Runtime.InteropServices;
using Xenon.Kvm.Native;

namespace Xenon.Kvm;

/// <summary>
/// Gives pages of a <see cref="HostMemoryMapping"/> back to the host kernel (balloon inflation, free page
/// reporting); afterwards they read as zero and are allocated again on the next touch.
/// </summary>
/// <remarks>
/// Private anonymous memory is released by dropping the mapping's pages (MADV_DONTNEED). For a memfd that is
/// not enough: the pages stay in the file and only this mapping's view of them goes, so the hole is punched in
/// the file itself (fallocate PUNCH_HOLE | KEEP_SIZE), which frees them for every process that maps it.
/// </remarks>
public static class HostPageRelease
{
    /// <summary>
    /// Releases [<paramref name="offset"/>, offset + <paramref name="length"/>) of <paramref name="mapping"/>.
    /// The range must be host-page aligned and inside the mapping. Returns false with the errno on failure
    /// (EINVAL for a bad range) instead of throwing: the caller decides whether a failed release matters.
    /// </summary>
    public static bool TryRelease(HostMemoryMapping mapping, ulong offset, ulong length, out int errno)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        ulong pageMask = (ulong)Environment.SystemPageSize - 1;
        if (length == 0 || ((offset | length) & pageMask) != 0 || offset > mapping.Size || length > mapping.Size - offset)
        {
            errno = Errno.EINVAL;
            return false;
        }
        bool added = false;
        try
        {
            mapping.DangerousAddRef(ref added);
            int rc = mapping.MemFd is { } memfd
                ? Libc.fallocate(memfd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, (long)offset, (long)length)
                : Libc.madvise(mapping.Address + (nint)offset, (nuint)length, Libc.MADV_DONTNEED);
            errno = rc == 0 ? 0 : Marshal.GetLastPInvokeError();
            return rc == 0;
        }
        finally
        {
            if (added) mapping.DangerousRelease();
        }
    }
}
