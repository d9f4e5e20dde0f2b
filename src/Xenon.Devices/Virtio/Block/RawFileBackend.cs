using Microsoft.Win32.SafeHandles;
using System.Runtime.InteropServices;
using Xenon.Kvm;
using Xenon.Kvm.Net;

namespace Xenon.Devices.Virtio.Block;

/// <summary>
/// A raw disk image in a regular file, read and written in place with positioned I/O
/// (a request's guest buffers in one preadv/pwritev, <see cref="VectoredFileIo"/>): guest buffers go straight to the file, no copy.
/// Opened for direct I/O (xl's <c>direct-io-safe</c>, QEMU's cache=none), reads and writes whose offset and
/// length suit O_DIRECT bypass the host page cache through a second, O_DIRECT handle (<see cref="DirectFile"/>;
/// guest buffers that are not aligned go through its bounce buffer); the rest, and write-zeroes, use the buffered
/// handle, which Linux keeps coherent with direct I/O on the same file. Flush is fsync either way: O_DIRECT does
/// not make a write durable (the file system's metadata and the device's cache).
/// </summary>
/// <remarks>
/// Discard is accepted and does nothing: without fallocate(PUNCH_HOLE) the only alternative is
/// writing zeroes, which costs I/O to gain nothing (the spec lets discarded sectors keep their data).
/// Write-zeroes writes zero blocks from one shared buffer. The size is taken once at open; writes
/// beyond it never reach the backend (the device checks every range), so the image never grows.
/// </remarks>
public sealed class RawFileBackend : IBlockBackend
{
    private const int ZeroChunk = 64 * 1024;
    private static readonly byte[] Zeroes = new byte[ZeroChunk];

    private readonly SafeFileHandle _handle;
    private readonly DirectFile? _direct;

    private RawFileBackend(SafeFileHandle handle, DirectFile? direct, ulong sizeBytes, bool readOnly)
    {
        _handle = handle;
        _direct = direct;
        SizeBytes = sizeBytes;
        IsReadOnly = readOnly;
    }

    /// <summary>Whether aligned requests bypass the host page cache (direct I/O was asked for and the file system allows it).</summary>
    public bool IsDirect => _direct is not null;

    /// <summary>Why direct I/O was asked for but is not used (e.g. the file system refuses O_DIRECT); null otherwise.</summary>
    public string? DirectUnavailableReason { get; private init; }

    public ulong SizeBytes { get; }

    public bool IsReadOnly { get; }

    /// <summary>The last host I/O error, for diagnostics (null if none).</summary>
    public IOException? LastError { get; private set; }

    /// <summary>Opens an existing image. Read-write opens hold a shared advisory lock (.NET's FileShare emulation on Unix).
    /// With <paramref name="directIo"/>, aligned requests use O_DIRECT; where the file system refuses it the backend
    /// stays buffered and says why in <see cref="DirectUnavailableReason"/>.</summary>
    public static RawFileBackend Open(string path, bool readOnly, bool directIo = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var handle = File.OpenHandle(path, FileMode.Open, readOnly ? FileAccess.Read : FileAccess.ReadWrite, FileShare.Read);
        try
        {
            long length = RandomAccess.GetLength(handle);
            if (!directIo) return new RawFileBackend(handle, null, (ulong)length, readOnly);
            // The O_DIRECT handle is a plain open(2) (no advisory lock of its own: the buffered handle holds it).
            var direct = DirectFile.TryOpen(path, writable: !readOnly, length, out int errno);
            return new RawFileBackend(handle, direct, (ulong)length, readOnly)
            {
                DirectUnavailableReason = direct is null ? $"O_DIRECT refused: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})" : null,
            };
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public bool TryRead(ulong offset, Span<byte> destination)
    {
        if (_direct is { } direct && direct.IsAligned(offset, destination.Length))
            return direct.TryRead(offset, destination, out int errno) || FailDirect("read", offset, errno);
        try
        {
            while (!destination.IsEmpty)
            {
                int n = RandomAccess.Read(_handle, destination, checked((long)offset));
                // End of file inside the image's recorded size: someone truncated it under us.
                if (n == 0) return Fail(new EndOfStreamException($"image ends before offset {offset}"));
                destination = destination[n..];
                offset += (ulong)n;
            }
            return true;
        }
        catch (IOException e)
        {
            return Fail(e);
        }
    }

    public bool TryWrite(ulong offset, ReadOnlySpan<byte> source)
    {
        if (IsReadOnly) return false;
        if (_direct is { } direct && direct.IsAligned(offset, source.Length))
            return direct.TryWrite(offset, source, out int errno) || FailDirect("write", offset, errno);
        try
        {
            RandomAccess.Write(_handle, source, checked((long)offset));
            return true;
        }
        catch (IOException e)
        {
            return Fail(e);
        }
    }

    public bool TryReadVectored(ulong offset, ReadOnlySpan<IoVector> buffers)
    {
        if (_direct is { } direct && direct.IsAligned(offset, buffers))
            return direct.TryReadVectored(offset, buffers, out int errno) || FailDirect("read", offset, errno);
        return VectoredFileIo.TryRead(_handle, offset, buffers, out int e) || FailBuffered("read", offset, e);
    }

    public bool TryWriteVectored(ulong offset, ReadOnlySpan<IoVector> buffers)
    {
        if (IsReadOnly) return false;
        if (_direct is { } direct && direct.IsAligned(offset, buffers))
            return direct.TryWriteVectored(offset, buffers, out int errno) || FailDirect("write", offset, errno);
        return VectoredFileIo.TryWrite(_handle, offset, buffers, out int e) || FailBuffered("write", offset, e);
    }

    public bool TryFlush()
    {
        if (IsReadOnly) return true;
        try
        {
            RandomAccess.FlushToDisk(_handle);
            return true;
        }
        catch (IOException e)
        {
            return Fail(e);
        }
    }

    public bool TryDiscard(ulong offset, ulong length) => !IsReadOnly;

    public bool TryWriteZeroes(ulong offset, ulong length)
    {
        if (IsReadOnly) return false;
        try
        {
            while (length > 0)
            {
                int n = (int)Math.Min(length, ZeroChunk);
                RandomAccess.Write(_handle, Zeroes.AsSpan(0, n), checked((long)offset));
                offset += (ulong)n;
                length -= (ulong)n;
            }
            return true;
        }
        catch (IOException e)
        {
            return Fail(e);
        }
    }

    public void Dispose()
    {
        _direct?.Dispose();
        _handle.Dispose();
    }

    private bool FailDirect(string operation, ulong offset, int errno) => Fail(errno == 0
        ? new EndOfStreamException($"image ends before offset {offset}")
        : new IOException($"direct {operation} at offset {offset}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})"));

    private bool FailBuffered(string operation, ulong offset, int errno) => Fail(errno == 0
        ? new EndOfStreamException($"image ends before offset {offset}")
        : new IOException($"{operation} at offset {offset}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})"));

    private bool Fail(IOException e)
    {
        LastError = e;
        return false;
    }
}
