using System.Buffers;

namespace Xenon.Domain.Migration;

/// <summary>
/// A write-only pass-through that counts the bytes written (what a migration sent). Between <see cref="Hold"/> and
/// <see cref="Release"/> it keeps what is written (and ignores flushes), so that the last of the save stream and the
/// frame behind it (the go) leave in one write, with nothing the sender does between them (docs/migration.md, "One
/// write for End and the go").
/// </summary>
internal sealed class CountingStream(Stream inner) : Stream
{
    private byte[]? _held;
    private int _heldLength;

    public long Written { get; private set; }

    /// <summary>True once <see cref="Release"/> handed everything, trailer included, to the inner stream's Write.
    /// Until then the trailer's last byte has not left, so a peer cannot have read it whole.</summary>
    public bool TrailerWritten { get; private set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => Written; set => throw new NotSupportedException(); }

    /// <summary>From now until <see cref="Release"/>, writes are kept here. <paramref name="capacity"/> is rented now,
    /// before the bytes come, and grows if they need more.</summary>
    public void Hold(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        if (_held is not null) throw new InvalidOperationException("writes are already held");
        _held = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 1));
        _heldLength = 0;
    }

    /// <summary>Writes what was held and then <paramref name="trailer"/> (not counted: it is not part of the stream
    /// <see cref="Written"/> measures) in one write, and flushes.</summary>
    public void Release(ReadOnlySpan<byte> trailer)
    {
        if (_held is null) throw new InvalidOperationException("no writes are held");
        Append(trailer);
        var held = _held!;
        _held = null;
        try
        {
            inner.Write(held, 0, _heldLength);
            TrailerWritten = true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(held);
        }
        inner.Flush();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_held is not null) Append(buffer);
        else inner.Write(buffer);
        Written += buffer.Length;
    }

    public override void Flush()
    {
        if (_held is null) inner.Flush();
    }

    protected override void Dispose(bool disposing)
    {
        if (_held is { } held)
        {
            _held = null;
            ArrayPool<byte>.Shared.Return(held);
        }
        base.Dispose(disposing);
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        var held = _held!;
        if (held.Length - _heldLength < data.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(checked(_heldLength + data.Length));
            held.AsSpan(0, _heldLength).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(held);
            _held = held = bigger;
        }
        data.CopyTo(held.AsSpan(_heldLength));
        _heldLength += data.Length;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
