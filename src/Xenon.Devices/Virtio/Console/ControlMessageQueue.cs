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

    public void Clear()
    {
        _head = 0;
        Count = 0;
    }
}
