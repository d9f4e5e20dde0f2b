namespace Xenon.Devices.Legacy.Serial;

/// <summary>A fixed-capacity byte ring. Not thread-safe: the UART's lock guards it.</summary>
internal sealed class ReceiveQueue
{
    private readonly byte[] _buffer;
    private int _head;
    private int _count;

    public ReceiveQueue(int capacity) => _buffer = new byte[capacity];

    public int Count => _count;
    public int Capacity => _buffer.Length;
    public int Free => _buffer.Length - _count;

    /// <summary>Appends as much of <paramref name="data"/> as fits; returns how many bytes were taken.</summary>
    public int Enqueue(ReadOnlySpan<byte> data)
    {
        int n = Math.Min(data.Length, Free);
        for (int i = 0; i < n; i++)
            _buffer[(_head + _count + i) % _buffer.Length] = data[i];
        _count += n;
        return n;
    }

    public bool TryDequeue(out byte value)
    {
        if (_count == 0) { value = 0; return false; }
        value = _buffer[_head];
        _head = (_head + 1) % _buffer.Length;
        _count--;
        return true;
    }

    /// <summary>Discards up to <paramref name="n"/> bytes from the front.</summary>
    public void Discard(int n)
    {
        n = Math.Min(n, _count);
        _head = (_head + n) % _buffer.Length;
        _count -= n;
    }

    public void Clear()
    {
        _head = 0;
        _count = 0;
    }

    public byte[] ToArray()
    {
        var copy = new byte[_count];
        for (int i = 0; i < _count; i++) copy[i] = _buffer[(_head + i) % _buffer.Length];
        return copy;
    }
}
