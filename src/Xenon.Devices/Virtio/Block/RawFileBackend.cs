using Microsoft.Win32.SafeHandles;

namespace Xenon.Devices.Virtio.Block;

/// <summary>
/// A raw disk image in a regular file, read and written in place with positioned I/O
/// (pread/pwrite through <see cref="RandomAccess"/>): guest buffers go straight to the file, no copy.
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

    private RawFileBackend(SafeFileHandle handle, ulong sizeBytes, bool readOnly)
    {
        _handle = handle;
        SizeBytes = sizeBytes;
        IsReadOnly = readOnly;
    }

    public ulong SizeBytes { get; }

    public bool IsReadOnly { get; }

    /// <summary>The last host I/O error, for diagnostics (null if none).</summary>
    public IOException? LastError { get; private set; }

    /// <summary>Opens an existing image. Read-write opens hold a shared advisory lock (.NET's FileShare emulation on Unix).</summary>
    public static RawFileBackend Open(string path, bool readOnly)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var handle = File.OpenHandle(path, FileMode.Open, readOnly ? FileAccess.Read : FileAccess.ReadWrite, FileShare.Read);
        try
        {
            long length = RandomAccess.GetLength(handle);
            return new RawFileBackend(handle, (ulong)length, readOnly);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public bool TryRead(ulong offset, Span<byte> destination)
    {
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

    public void Dispose() => _handle.Dispose();

    private bool Fail(IOException e)
    {
        LastError = e;
        return false;
    }
}
