namespace Xenon.Machine.Bus;

/// <summary>
/// An address-ordered set of non-overlapping ranges, each owned by one device. Lookup is a
/// binary search over an immutable array so vCPU threads read it without locks; registration
/// (rare, at build time or PCI BAR moves) swaps in a new array.
/// Accesses that hit no device read as all-ones, are counted, and are logged once per address.
/// </summary>
public sealed class IoBus<TDevice> where TDevice : class
{
    private readonly record struct Range(ulong Base, ulong Length, TDevice Device);

    private Range[] _ranges = [];
    private readonly object _writeLock = new();
    private readonly UnhandledAccessLog _unhandled;

    public IoBus(string name, Action<string>? log = null)
    {
        _unhandled = new UnhandledAccessLog(name, log);
    }

    public UnhandledAccessLog Unhandled => _unhandled;

    public void Register(ulong baseAddress, ulong length, TDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (length == 0) throw new ArgumentOutOfRangeException(nameof(length), "a bus range must not be empty");
        if (baseAddress + length < baseAddress) throw new ArgumentOutOfRangeException(nameof(length), "bus range wraps around");
        lock (_writeLock)
        {
            var old = _ranges;
            foreach (var r in old)
            {
                if (baseAddress < r.Base + r.Length && r.Base < baseAddress + length)
                    throw new InvalidOperationException(
                        $"bus range 0x{baseAddress:x}+0x{length:x} overlaps 0x{r.Base:x}+0x{r.Length:x} ({r.Device.GetType().Name})");
            }
            var next = new Range[old.Length + 1];
            int i = 0;
            while (i < old.Length && old[i].Base < baseAddress) { next[i] = old[i]; i++; }
            next[i] = new Range(baseAddress, length, device);
            Array.Copy(old, i, next, i + 1, old.Length - i);
            Volatile.Write(ref _ranges, next);
        }
    }

    public bool Unregister(TDevice device)
    {
        lock (_writeLock)
        {
            var old = _ranges;
            int idx = Array.FindIndex(old, r => ReferenceEquals(r.Device, device));
            if (idx < 0) return false;
            var next = new Range[old.Length - 1];
            Array.Copy(old, 0, next, 0, idx);
            Array.Copy(old, idx + 1, next, idx, old.Length - idx - 1);
            Volatile.Write(ref _ranges, next);
            return true;
        }
    }

    /// <summary>Finds the device covering <paramref name="address"/>; returns its offset within the range.</summary>
    public bool TryFind(ulong address, out TDevice? device, out ulong offset)
    {
        var ranges = Volatile.Read(ref _ranges);
        int lo = 0, hi = ranges.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            ref readonly var r = ref ranges[mid];
            if (address < r.Base) hi = mid - 1;
            else if (address - r.Base >= r.Length) lo = mid + 1;
            else { device = r.Device; offset = address - r.Base; return true; }
        }
        device = null;
        offset = 0;
        return false;
    }
}
