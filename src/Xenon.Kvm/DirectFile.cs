using System.Runtime.InteropServices;
using Xenon.Kvm.Native;
using Xenon.Kvm.Net;

namespace Xenon.Kvm;

/// <summary>
/// A regular file opened with O_DIRECT (QEMU's cache=none): reads and writes bypass the host page cache.
/// O_DIRECT needs the file offset, the length and the buffer address aligned to the file system's direct-I/O
/// alignment (<see cref="Alignment"/>, probed at open). Callers send only aligned offsets and lengths
/// (<see cref="IsAligned"/>); a buffer that is not aligned goes through a pinned, aligned bounce buffer here.
/// </summary>
/// <remarks>One caller at a time (the bounce buffer is shared); a disk's I/O thread is that caller.
/// Nothing throws or allocates per call: failures return false with the errno (0 for an unexpected end of file).</remarks>
public sealed unsafe class DirectFile : IDisposable
{
    /// <summary>The largest alignment probed (and assumed where the probe cannot tell: 4 KiB logical blocks).</summary>
    public const int MaxAlignment = 4096;

    /// <summary>Bounce buffer size: large enough that an unaligned 1 MiB request costs four system calls.</summary>
    private const int BounceBytes = 256 * 1024;

    private readonly FileDescriptor _fd;
    // Pinned, so the aligned window inside it keeps its address; allocated once.
    private readonly byte[] _bounceStore = GC.AllocateArray<byte>(BounceBytes + MaxAlignment, pinned: true);
    private readonly int _bounceStart;

    private DirectFile(FileDescriptor fd, long sizeBytes)
    {
        _fd = fd;
        nint address = Marshal.UnsafeAddrOfPinnedArrayElement(_bounceStore, 0);
        _bounceStart = (int)((MaxAlignment - (address & (MaxAlignment - 1))) & (MaxAlignment - 1));
        Alignment = ProbeAlignment(sizeBytes);
    }

    /// <summary>The offset, length and memory alignment O_DIRECT needs on this file (512 or 4096).</summary>
    public int Alignment { get; }

    /// <summary>Opens <paramref name="path"/> with O_DIRECT, or returns null with the errno (EINVAL: the file
    /// system has no direct I/O, e.g. tmpfs before Linux 6.6). <paramref name="sizeBytes"/> is the file's size,
    /// for the alignment probe.</summary>
    public static DirectFile? TryOpen(string path, bool writable, long sizeBytes, out int errno)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        int fd = Libc.open(path, (writable ? Libc.O_RDWR : Libc.O_RDONLY) | Libc.O_DIRECT | Libc.O_CLOEXEC);
        if (fd < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }
        errno = 0;
        return new DirectFile(new FileDescriptor(fd), sizeBytes);
    }

    /// <summary>Whether a request at <paramref name="offset"/> of <paramref name="length"/> bytes can go through O_DIRECT.</summary>
    public bool IsAligned(ulong offset, int length) => length >= 0 && ((offset | (uint)length) & (uint)(Alignment - 1)) == 0;

    /// <summary>Reads exactly <paramref name="destination"/>.Length bytes at an aligned offset.</summary>
    public bool TryRead(ulong offset, Span<byte> destination, out int errno)
    {
        if (!IsAligned(offset, destination.Length)) return Invalid(out errno);
        fixed (byte* p = destination) return TransferVia(offset, p, destination.Length, write: false, out errno);
    }

    /// <summary>Writes all of <paramref name="source"/> at an aligned offset.</summary>
    public bool TryWrite(ulong offset, ReadOnlySpan<byte> source, out int errno)
    {
        if (!IsAligned(offset, source.Length)) return Invalid(out errno);
        fixed (byte* p = source) return TransferVia(offset, p, source.Length, write: true, out errno);
    }

    /// <summary>Whether a request at <paramref name="offset"/> into <paramref name="vectors"/> can go through O_DIRECT:
    /// the offset and every vector's length aligned (a vector's address need not be, see <see cref="TryReadVectored"/>).</summary>
    public bool IsAligned(ulong offset, ReadOnlySpan<IoVector> vectors)
    {
        ulong bits = offset;
        foreach (var v in vectors) bits |= v.Length;
        return (bits & (ulong)(Alignment - 1)) == 0;
    }

    /// <summary>Reads into <paramref name="vectors"/> in order from an aligned offset: one preadv when every vector's
    /// address is aligned too, else vector by vector (the unaligned ones through the bounce buffer).</summary>
    public bool TryReadVectored(ulong offset, ReadOnlySpan<IoVector> vectors, out int errno)
        => TransferVectored(offset, vectors, write: false, out errno);

    /// <summary>Writes <paramref name="vectors"/> in order at an aligned offset (as <see cref="TryReadVectored"/>).</summary>
    public bool TryWriteVectored(ulong offset, ReadOnlySpan<IoVector> vectors, out int errno)
        => TransferVectored(offset, vectors, write: true, out errno);

    public void Dispose() => _fd.Dispose();

    private bool TransferVectored(ulong offset, ReadOnlySpan<IoVector> vectors, bool write, out int errno)
    {
        if (!IsAligned(offset, vectors)) return Invalid(out errno);
        bool addressesAligned = true;
        foreach (var v in vectors) addressesAligned &= IsAlignedAddress((byte*)v.Base);
        if (addressesAligned) return write ? VectoredFileIo.TryWrite(_fd, offset, vectors, out errno) : VectoredFileIo.TryRead(_fd, offset, vectors, out errno);
        foreach (var v in vectors)
        {
            // TransferVia takes int lengths; a step of 1 GiB keeps the alignment.
            for (ulong done = 0; done < v.Length;)
            {
                int n = (int)Math.Min(v.Length - done, 1UL << 30);
                if (!TransferVia(offset, (byte*)v.Base + done, n, write, out errno)) return false;
                done += (ulong)n;
                offset += (ulong)n;
            }
        }
        errno = 0;
        return true;
    }

    /// <summary>Straight from the caller's pinned buffer when its address suits O_DIRECT, otherwise through the
    /// bounce buffer in steps of its size. <paramref name="buffer"/> holds <paramref name="length"/> bytes.</summary>
    private bool TransferVia(ulong offset, byte* buffer, int length, bool write, out int errno)
    {
        if (IsAlignedAddress(buffer)) return Transfer(offset, buffer, length, write, out errno);
        fixed (byte* store = _bounceStore)
        {
            byte* bounce = store + _bounceStart;
            for (int done = 0; done < length;)
            {
                int n = Math.Min(length - done, BounceBytes);
                if (write) Buffer.MemoryCopy(buffer + done, bounce, BounceBytes, n);
                if (!Transfer(offset + (ulong)done, bounce, n, write, out errno)) return false;
                if (!write) Buffer.MemoryCopy(bounce, buffer + done, length - done, n);
                done += n;
            }
        }
        errno = 0;
        return true;
    }

    private bool IsAlignedAddress(byte* p) => ((nint)p & (Alignment - 1)) == 0;

    private static bool Invalid(out int errno)
    {
        errno = Errno.EINVAL;
        return false;
    }

    /// <summary>pread/pwrite until done, retrying on EINTR and after partial transfers (<see cref="VectoredFileIo.TransferAll"/>).</summary>
    private bool Transfer(ulong offset, byte* buffer, int length, bool write, out int errno)
    {
        if (length <= 0)
        {
            errno = 0;
            return true;
        }
        bool added = false;
        try
        {
            _fd.DangerousAddRef(ref added);
            return VectoredFileIo.TransferAll(_fd.Number, buffer, (ulong)length, offset, write, out errno);
        }
        finally
        {
            if (added) _fd.DangerousRelease();
        }
    }

    /// <summary>The smallest of 512 and 4096 at which an O_DIRECT read of the file's first block succeeds. A file
    /// shorter than 4 KiB cannot tell them apart (a read past its end succeeds at any size), so 4096 is assumed.</summary>
    private int ProbeAlignment(long sizeBytes)
    {
        if (sizeBytes < MaxAlignment) return MaxAlignment;
        fixed (byte* b = _bounceStore)
        {
            byte* aligned = b + _bounceStart;
            for (int size = 512; size < MaxAlignment; size *= 2)
            {
                if (Libc.pread(_fd.Number, aligned, (nuint)size, 0) == size) return size;
            }
        }
        return MaxAlignment;
    }
}
