using System.Runtime.InteropServices;
using Xenon.Kvm.Native;

namespace Xenon.Kvm.Net;

// Frame I/O. The Try forms are the hot path: no exceptions (EAGAIN is the normal "nothing queued"), no
// allocation; the plain forms throw and are for set-up code and tests.
public sealed unsafe partial class TapDevice
{
    /// <summary>Reads one frame (vnet header included) into <paramref name="buffer"/>: true with its length, or
    /// true with length 0 when none is queued (a real frame is never empty: it has at least the vnet header);
    /// false with the errno on an error. A frame longer than the buffer is truncated to it, so a caller that
    /// must notice oversized frames passes a buffer larger than any frame it accepts.</summary>
    public bool TryRead(Span<byte> buffer, out int length, out int errno)
    {
        bool added = false;
        try
        {
            Handle.DangerousAddRef(ref added);
            fixed (byte* p = buffer)
            {
                while (true)
                {
                    nint n = Libc.read(Handle.Number, p, (nuint)buffer.Length);
                    if (n >= 0)
                    {
                        length = (int)n;
                        errno = 0;
                        return true;
                    }
                    errno = Marshal.GetLastPInvokeError();
                    if (errno == Errno.EAGAIN)
                    {
                        length = 0;
                        errno = 0;
                        return true;
                    }
                    if (errno != Errno.EINTR) break;
                }
            }
        }
        finally
        {
            if (added) Handle.DangerousRelease();
        }
        length = 0;
        return false;
    }

    /// <summary>Writes one frame (vnet header included). False with the errno if the kernel refused it
    /// (EINVAL for a malformed header or a frame shorter than an Ethernet header, EIO while the link is down).</summary>
    public bool TryWrite(ReadOnlySpan<byte> frame, out int errno)
    {
        fixed (byte* p = frame)
        {
            var vector = new IoVector((nint)p, (nuint)frame.Length);
            return TryWriteGather(new ReadOnlySpan<IoVector>(&vector, 1), out errno);
        }
    }

    /// <summary>Writes one frame gathered from <paramref name="vectors"/> (writev: the pieces are concatenated,
    /// the first starting with the vnet header). At most 1024 vectors (IOV_MAX).</summary>
    public bool TryWriteGather(ReadOnlySpan<IoVector> vectors, out int errno)
    {
        if (vectors.Length > Libc.IOV_MAX)
        {
            errno = Errno.EINVAL;
            return false;
        }
        bool added = false;
        try
        {
            Handle.DangerousAddRef(ref added);
            fixed (IoVector* p = vectors)
            {
                while (true)
                {
                    // A tap takes a frame whole or not at all, so a non-negative result is the whole frame.
                    if (Libc.writev(Handle.Number, p, vectors.Length) >= 0)
                    {
                        errno = 0;
                        return true;
                    }
                    errno = Marshal.GetLastPInvokeError();
                    if (errno != Errno.EINTR) return false;
                }
            }
        }
        finally
        {
            if (added) Handle.DangerousRelease();
        }
    }

    /// <summary>Reads one frame; returns its length, or 0 when none is queued.</summary>
    public int Read(Span<byte> buffer)
    {
        if (TryRead(buffer, out int length, out int errno)) return length;
        throw new KvmException($"read({Name})", errno);
    }

    public void Write(ReadOnlySpan<byte> frame)
    {
        if (!TryWrite(frame, out int errno)) throw new KvmException($"write({Name})", errno);
    }

    public void WriteGather(ReadOnlySpan<IoVector> vectors)
    {
        if (!TryWriteGather(vectors, out int errno)) throw new KvmException($"writev({Name})", errno);
    }
}
