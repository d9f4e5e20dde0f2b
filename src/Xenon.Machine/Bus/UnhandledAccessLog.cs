using System.Collections.Concurrent;

namespace Xenon.Machine.Bus;

/// <summary>Counts guest accesses that no device claimed; logs the first one at each address only,
/// so a guest probing (or hammering) absent hardware cannot flood the log.</summary>
public sealed class UnhandledAccessLog
{
    private readonly string _busName;
    private readonly Action<string>? _log;
    private readonly ConcurrentDictionary<ulong, long> _counts = new();
    private long _total;

    public UnhandledAccessLog(string busName, Action<string>? log)
    {
        _busName = busName;
        _log = log;
    }

    public long Total => Interlocked.Read(ref _total);

    public int DistinctAddresses => _counts.Count;

    public long CountAt(ulong address) => _counts.TryGetValue(address, out var n) ? n : 0;

    public void Record(ulong address, int size, bool write)
    {
        Interlocked.Increment(ref _total);
        long n = _counts.AddOrUpdate(address, 1, static (_, v) => v + 1);
        if (n == 1)
            _log?.Invoke($"unhandled {_busName} {(write ? "write" : "read")} at 0x{address:x} size {size} (logged once per address)");
    }
}
