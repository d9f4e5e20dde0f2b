using Xenon.Devices.Legacy.Serial;

namespace Xenon.Domain.Console;

/// <summary>The last few KiB of console output, kept so an error report (or a late-attaching
/// client) can show what the guest printed last.</summary>
public sealed class ConsoleHistory : ISerialOutput
{
    private readonly byte[] _ring;
    private long _written;
    private readonly object _lock = new();

    public ConsoleHistory(int capacity = 16 * 1024) => _ring = new byte[capacity];

    public void Write(ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            foreach (var b in data)
            {
                _ring[_written % _ring.Length] = b;
                _written++;
            }
        }
    }

    public byte[] Snapshot()
    {
        lock (_lock)
        {
            int n = (int)Math.Min(_written, _ring.Length);
            var result = new byte[n];
            long start = _written - n;
            for (int i = 0; i < n; i++) result[i] = _ring[(start + i) % _ring.Length];
            return result;
        }
    }

    public string Tail(int lines = 30)
    {
        var text = System.Text.Encoding.UTF8.GetString(Snapshot());
        var all = text.Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }
}
