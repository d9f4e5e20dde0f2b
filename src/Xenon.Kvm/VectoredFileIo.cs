using System.Runtime.InteropServices;
using Xenon.Kvm.Native;
using Xenon.Kvm.Net;

namespace Xenon.Kvm;

/// <summary>
/// Positioned scatter/gather I/O on a file (preadv/pwritev): one request spread over many buffers costs one
/// system call instead of one per buffer. A disk request from a guest is such a request (its data is in
/// page-sized pieces scattered over guest RAM), and with O_DIRECT one call is also one block-layer request
/// instead of one per page.
/// </summary>
/// <remarks>Every vector's memory must stay mapped for the call; callers build them from guest RAM translated by
/// GuestMemory's bounds check, or from pinned buffers. Nothing throws or allocates per call: failures return false
/// with the errno (0 for an unexpected end of file). Partial transfers and EINTR are retried.</remarks>
public static unsafe class VectoredFileIo
{
    /// <summary>IOV_MAX on Linux: one call takes at most this many vectors (more are sent in several calls).</summary>
    public const int MaxVectorsPerCall = Libc.IOV_MAX;

    /// <summary>Reads into <paramref name="vectors"/> in order from <paramref name="offset"/> until every one is full.</summary>
    public static bool TryRead(SafeHandle file, ulong offset, ReadOnlySpan<IoVector> vectors, out int errno)
        => Transfer(file, offset, vectors, write: false, out errno);

    /// <summary>Writes <paramref name="vectors"/> in order at <paramref name="offset"/>.</summary>
    public static bool TryWrite(SafeHandle file, ulong offset, ReadOnlySpan<IoVector> vectors, out int errno)
        => Transfer(file, offset, vectors, write: true, out errno);

    /// <summary>Sum of the vectors' lengths.</summary>
    public static ulong TotalLength(ReadOnlySpan<IoVector> vectors)
    {
        ulong total = 0;
        foreach (var v in vectors) total += v.Length;
        return total;
    }

    private static bool Transfer(SafeHandle file, ulong offset, ReadOnlySpan<IoVector> vectors, bool write, out int errno)
    {
        ArgumentNullException.ThrowIfNull(file);
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            int fd = (int)file.DangerousGetHandle();
            fixed (IoVector* first = vectors)
            {
                int i = 0;
                while (true)
                {
                    // Empty vectors move nothing; skipping them keeps a zero return meaning end of file.
                    while (i < vectors.Length && first[i].Length == 0) i++;
                    if (i == vectors.Length) break;
                    int count = Math.Min(vectors.Length - i, MaxVectorsPerCall);
                    long position = checked((long)offset);
                    nint n = write ? Libc.pwritev(fd, first + i, count, position) : Libc.preadv(fd, first + i, count, position);
                    if (n < 0)
                    {
                        errno = Marshal.GetLastPInvokeError();
                        if (errno == Errno.EINTR) continue;
                        return false;
                    }
                    if (n == 0)
                    {
                        // A read at or past the end, or a write that made no progress: no errno says so.
                        errno = 0;
                        return false;
                    }
                    offset += (ulong)n;
                    ulong left = (ulong)n;
                    while (i < vectors.Length && left >= first[i].Length)
                    {
                        left -= first[i].Length;
                        i++;
                    }
                    // Stopped inside a vector (a signal, a file system that splits, the 2 GiB per-call cap): its
                    // rest goes on its own, then the vectors after it.
                    if (left > 0 && !TransferRest(fd, first[i], left, ref offset, write, out errno)) return false;
                    if (left > 0) i++;
                }
            }
            errno = 0;
            return true;
        }
        finally
        {
            if (added) file.DangerousRelease();
        }
    }

    private static bool TransferRest(int fd, IoVector vector, ulong done, ref ulong offset, bool write, out int errno)
    {
        ulong length = vector.Length - done;
        if (!TransferAll(fd, (byte*)vector.Base + done, length, offset, write, out errno)) return false;
        offset += length;
        return true;
    }

    /// <summary>pread/pwrite of one buffer until done, retrying on EINTR and after partial transfers; false with the
    /// errno on failure (0 for an unexpected end of file). Also <see cref="DirectFile"/>'s single-buffer path.</summary>
    internal static bool TransferAll(int fd, byte* p, ulong length, ulong offset, bool write, out int errno)
    {
        while (length > 0)
        {
            long position = checked((long)offset);
            nint n = write ? Libc.pwrite(fd, p, (nuint)length, position) : Libc.pread(fd, p, (nuint)length, position);
            if (n < 0)
            {
                errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR) continue;
                return false;
            }
            if (n == 0)
            {
                // A read at or past the end, or a write that made no progress: no errno says so.
                errno = 0;
                return false;
            }
            p += n;
            length -= (ulong)n;
            offset += (ulong)n;
        }
        errno = 0;
        return true;
    }
}
