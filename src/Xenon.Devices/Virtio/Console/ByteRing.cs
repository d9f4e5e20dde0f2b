namespace Xenon.Devices.Virtio.Console;

/// <summary>A fixed-capacity FIFO of bytes. Not thread-safe: its owner's lock guards it.</summary>
internal sealed class ByteRing(int capacity)
{
    private readonly byte[] _buffer = new byte[capacity];
    private int _head;

    public int Count { get; private set; }

    public int Capacity => _buffer.Length;

    public int Free => _buffer.Length - Count;

    /// <summary>Appends as much of <paramref name="source"/> as fits; returns how much.</summary>
    public int Write(ReadOnlySpan<byte> source)
    {
        int n = Math.Min(source.Length, Free);
        int tail = (_head + Count) % _buffer.Length;
        int first = Math.Min(n, _buffer.Length - tail);
        source[..first].CopyTo(_buffer.AsSpan(tail));
        source[first..n].CopyTo(_buffer);
        Count += n;
        return n;
    }

    /// <summary>Removes up to <paramref name="destination"/>.Length bytes from the front; returns how many.</summary>
    public int Read(Span<byte> destination)
    {
        int n = Math.Min(destination.Length, Count);
        int first = Math.Min(n, _buffer.Length - _head);
        _buffer.AsSpan(_head, first).CopyTo(destination);
        _buffer.AsSpan(0, n - first).CopyTo(destination[first..]);
        _head = (_head + n) % _buffer.Length;
        Count -= n;
        return n;
    }

    /// <summary>Copies up to <paramref name="destination"/>.Length bytes from the front without removing them; returns how many.</summary>
    public int Peek(Span<byte> destination)
    {
        int n = Math.Min(destination.Length, Count);
        int first = Math.Min(n, _buffer.Length - _head);
        _buffer.AsSpan(_head, first).CopyTo(destination);
        _buffer.AsSpan(0, n - first).CopyTo(destination[first..]);
        return n;
    }

    public void Clear()
    {
        _head = 0;
        Count = 0;
    }
}
