namespace Xenon.Devices.Virtio.Console;

/// <summary>
/// Control messages waiting for a buffer on the control receive queue. Bounded: a driver that asks for
/// announcements (PORT_READY, DEVICE_READY) without ever giving buffers to receive them cannot make the
/// device grow; beyond the capacity new messages are dropped and counted. Not thread-safe (the device's lock).
/// </summary>
internal sealed class ControlMessageQueue(int capacity)
{
    private readonly ConsoleControlMessage[] _items = new ConsoleControlMessage[capacity];
    private int _head;

    public int Count { get; private set; }

    public long Dropped { get; private set; }

    public bool TryEnqueue(ConsoleControlMessage message)
    {
        if (Count == _items.Length)
        {
            Dropped++;
            return false;
        }
        _items[(_head + Count) % _items.Length] = message;
        Count++;
        return true;
    }

    public ConsoleControlMessage Peek() => _items[_head];

    public void Dequeue()
    {
        _head = (_head + 1) % _items.Length;
        Count--;
    }

    public int Capacity => _items.Length;

    /// <summary>The waiting messages, oldest first (for a save).</summary>
    public ConsoleControlMessage[] ToArray()
    {
        var items = new ConsoleControlMessage[Count];
        for (int i = 0; i < items.Length; i++) items[i] = _items[(_head + i) % _items.Length];
        return items;
    }

    /// <summary>Replaces the contents with saved messages (at most <see cref="Capacity"/>) and the saved drop count.</summary>
    public void Restore(ReadOnlySpan<ConsoleControlMessage> messages, long dropped)
    {
        if (messages.Length > _items.Length) throw new ArgumentException($"{messages.Length} control messages do not fit the queue's {_items.Length}", nameof(messages));
        Clear();
        messages.CopyTo(_items);
        Count = messages.Length;
        Dropped = dropped;
    }

    public void Clear()
    {
        _head = 0;
        Count = 0;
    }
}
