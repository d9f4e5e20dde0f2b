using Xenon.Machine.Memory;

namespace Xenon.Devices.Virtio.Queue;

/// <summary>
/// One request popped from a queue: its head index and its buffers, device-readable ones first.
/// Every segment was checked against guest RAM when the chain was walked. The object is reused
/// from pop to pop (its segment array grows only for an unusually long chain), so holding it past
/// the next pop that fills it is a bug; devices that keep several requests in flight create one
/// chain per slot with <see cref="DescriptorChain()"/> and pop into it.
/// </summary>
public sealed class DescriptorChain
{
    private DescriptorSegment[] _segments = new DescriptorSegment[16];
    private int _count;
    private int _readableCount;
    private GuestMemory? _memory;

    public ushort HeadIndex { get; private set; }

    /// <summary>Sum of the device-readable buffers' lengths.</summary>
    public ulong ReadableBytes { get; private set; }

    /// <summary>Sum of the device-writable buffers' lengths.</summary>
    public ulong WritableBytes { get; private set; }

    // The spans are made with the constructor, not AsSpan: MemoryExtensions.AsSpan<DescriptorSegment> and Span's
    // conversion to ReadOnlySpan have no ReadyToRun code (generic code of another assembly over this one's struct), so a
    // device's first chain after a restore compiled them inside restore-to-running.
    public ReadOnlySpan<DescriptorSegment> Readable => new(_segments, 0, _readableCount);

    public ReadOnlySpan<DescriptorSegment> Writable => new(_segments, _readableCount, _count - _readableCount);

    /// <summary>All segments in chain order: the readable ones, then the writable ones.</summary>
    public ReadOnlySpan<DescriptorSegment> Segments => new(_segments, 0, _count);

    /// <summary>
    /// Copies device-readable bytes, starting <paramref name="offset"/> bytes into the readable
    /// part, into <paramref name="destination"/>. Returns how many bytes were copied: less than
    /// the destination when the readable part ends first.
    /// </summary>
    public int CopyFromReadable(Span<byte> destination, ulong offset = 0)
        => Copy(Readable, offset, destination, default, toGuest: false);

    /// <summary>
    /// Copies <paramref name="source"/> into the device-writable buffers, starting
    /// <paramref name="offset"/> bytes into the writable part. Returns how many bytes were written.
    /// </summary>
    public int CopyToWritable(ReadOnlySpan<byte> source, ulong offset = 0)
        => Copy(Writable, offset, default, source, toGuest: true);

    private int Copy(ReadOnlySpan<DescriptorSegment> segments, ulong offset, Span<byte> toHost, ReadOnlySpan<byte> fromHost, bool toGuest)
    {
        var memory = _memory;
        if (memory is null) return 0;
        int want = toGuest ? fromHost.Length : toHost.Length;
        int done = 0;
        foreach (var seg in segments)
        {
            if (done == want) break;
            if (offset >= seg.Length)
            {
                offset -= seg.Length;
                continue;
            }
            int n = (int)Math.Min((ulong)(want - done), seg.Length - offset);
            // The segment was validated when walked; the check repeats here because guest RAM is
            // the one authority on what may be touched, and a failure ends the copy short.
            if (!memory.TryGetSpan(seg.Address + offset, n, out var guest)) break;
            if (toGuest)
            {
                fromHost.Slice(done, n).CopyTo(guest);
                memory.NotifyWritten(seg.Address + offset, n);
            }
            else guest.CopyTo(toHost.Slice(done, n));
            done += n;
            offset = 0;
        }
        return done;
    }

    internal void Begin(GuestMemory memory, ushort head)
    {
        _memory = memory;
        HeadIndex = head;
        _count = 0;
        _readableCount = 0;
        ReadableBytes = 0;
        WritableBytes = 0;
    }

    /// <summary>Appends a buffer already checked against guest RAM; enforces readable-before-writable.</summary>
    internal bool TryAppend(ulong address, uint length, bool writable)
    {
        if (!writable && _count != _readableCount) return false;
        if (_count == _segments.Length) Grow();
        _segments[_count++] = new DescriptorSegment(address, length);
        if (writable) WritableBytes += length;
        else
        {
            _readableCount++;
            ReadableBytes += length;
        }
        return true;
    }

    // Not Array.Resize<DescriptorSegment>: like AsSpan, that instantiation has no ReadyToRun code.
    private void Grow()
    {
        var larger = new DescriptorSegment[_segments.Length * 2];
        Array.Copy(_segments, larger, _count);
        _segments = larger;
    }

    /// <summary>Leaves the chain empty after a failed walk so no half-checked segments are visible.</summary>
    internal void Abandon()
    {
        _count = 0;
        _readableCount = 0;
        ReadableBytes = 0;
        WritableBytes = 0;
    }
}
