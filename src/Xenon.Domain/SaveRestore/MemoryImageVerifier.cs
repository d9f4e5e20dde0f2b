using System.Diagnostics;
using Microsoft.Win32.SafeHandles;
using Xenon.Domain.Save;
using Xenon.Machine.Memory;

namespace Xenon.Domain.SaveRestore;

/// <summary>
/// Checks a lazily restored domain's memory images against their chunk CRCs after the domain has started, on a
/// background thread, and pre-faults each chunk it has checked so the guest's first touches find the pages ready.
/// The check reads the file (not guest memory, which the guest may already have changed), chunk by chunk, skipping
/// all-zero chunks (never mapped, never read). The first mismatch, or a file that has shrunk, is reported once
/// through <c>corrupt</c> with the file, the chunk and its file offsets; the caller stops the domain as crashed.
/// </summary>
/// <remarks>
/// Honest limit: the guest runs before its memory is verified, so it may read a corrupt page before the check
/// reaches that chunk (within seconds: the check runs at disk or page-cache speed). The record stream, the vCPU and
/// device state and the file's length are all checked before anything runs; only the image contents are checked late.
/// Owns the file handle; <see cref="Dispose"/> stops the thread and waits for it, and must come before guest memory goes.
/// </remarks>
public sealed class MemoryImageVerifier : IDisposable
{
    private readonly string _path;
    private readonly SafeFileHandle _file;
    private readonly GuestMemory _memory;
    private readonly IReadOnlyList<MemoryImageLayout> _images;
    private readonly bool[] _mapped;
    private readonly Action<string> _corrupt;
    private readonly CancellationTokenSource _stop = new();
    private Thread? _thread;
    private int _disposed;

    /// <param name="mapped">Per image: true if it is mapped from the file (its verified chunks are pre-faulted).</param>
    /// <param name="corrupt">Called at most once, on the verifying thread, with what was wrong.</param>
    public MemoryImageVerifier(string path, SafeFileHandle file, GuestMemory memory, IReadOnlyList<MemoryImageLayout> images,
        bool[] mapped, Action<string> corrupt)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(mapped);
        ArgumentNullException.ThrowIfNull(corrupt);
        if (mapped.Length != images.Count) throw new ArgumentException("one flag per image", nameof(mapped));
        _path = path;
        _file = file;
        _memory = memory;
        _images = images;
        _mapped = mapped;
        _corrupt = corrupt;
    }

    /// <summary>Chunks checked so far (zero chunks are not counted: nothing of them is read).</summary>
    public int ChunksVerified { get; private set; }

    /// <summary>Bytes read from the file so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>What was wrong, once found; null while everything checked so far is right.</summary>
    public string? Problem { get; private set; }

    /// <summary>Raised on the verifying thread when it ends: null when every chunk checked out, else the problem
    /// (cancelled runs do not raise it).</summary>
    public event Action<string?, TimeSpan>? Finished;

    /// <summary>Starts the check on a background thread.</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_thread is not null) throw new InvalidOperationException("already started");
        _thread = new Thread(Run) { IsBackground = true, Name = "image-verify" };
        _thread.Start();
    }

    /// <summary>Checks every data chunk on the calling thread; returns the first problem or null.</summary>
    public string? VerifyAll(CancellationToken cancel = default)
    {
        var buffer = new byte[MaxChunk()];
        for (int i = 0; i < _images.Count; i++)
        {
            var image = _images[i];
            for (int c = 0; c < image.ChunkCount; c++)
            {
                if (cancel.IsCancellationRequested) return null;
                if (image.IsZeroChunk(c)) continue;
                if (Check(image, c, buffer) is { } problem)
                {
                    Problem = problem;
                    return problem;
                }
                ChunksVerified++;
                if (_mapped[i]) GuestMemoryFileImage.TryPrefault(_memory, image.RegionIndex, image.ChunkOffset(c), (ulong)image.ChunkLength(c));
            }
        }
        return null;
    }

    private void Run()
    {
        var clock = Stopwatch.StartNew();
        string? problem;
        try
        {
            problem = VerifyAll(_stop.Token);
        }
        catch (IOException e)
        {
            problem = $"{_path}: the memory image cannot be read back to verify it: {e.Message}";
        }
        catch (ObjectDisposedException)
        {
            // The domain ended (its memory or this verifier went) while a chunk was being checked: nothing to report,
            // and a background thread must not take the domain process down with it.
            return;
        }
        if (_stop.IsCancellationRequested) return;
        if (problem is not null) _corrupt(problem);
        Finished?.Invoke(problem, clock.Elapsed);
    }

    private string? Check(MemoryImageLayout image, int chunk, byte[] buffer)
    {
        int length = image.ChunkLength(chunk);
        long offset = image.ImageOffset + (long)image.ChunkOffset(chunk);
        var data = buffer.AsSpan(0, length);
        int have = 0;
        while (have < length)
        {
            int got = RandomAccess.Read(_file, data[have..], offset + have);
            if (got == 0)
                return $"{_path}: memory image of region {image.RegionIndex}, chunk {chunk} (file offsets {offset}–{offset + length}): " +
                       $"the file now ends at {offset + have}; it was truncated after the restore checked it";
            have += got;
        }
        BytesRead += length;
        uint computed = Crc32C.Compute(data), stored = image.ChunkCrc(chunk);
        if (computed == stored) return null;
        ulong gpa = image.Region.Gpa + image.ChunkOffset(chunk);
        return $"{_path}: memory image of region {image.RegionIndex} is corrupt: chunk {chunk} (file offsets {offset}–{offset + length}, " +
               $"guest 0x{gpa:x}–0x{gpa + (ulong)length:x}): stored CRC-32C 0x{stored:x8}, computed 0x{computed:x8}";
    }

    private int MaxChunk()
    {
        int max = SaveFormat.PageSize;
        foreach (var image in _images) max = Math.Max(max, Math.Min(image.ChunkSize, (int)Math.Min(image.Region.Size, int.MaxValue)));
        return max;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        if (_thread is { } t && t != Thread.CurrentThread) t.Join();
        _stop.Dispose();
        _file.Dispose();
    }
}
