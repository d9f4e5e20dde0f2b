namespace Xenon.Emulator.Execution;

/// <summary>
/// Which guest-physical pages hold decoded code, and a generation per page that changes when such a page is written.
/// Shared by all vCPUs of a machine (and by DMA-capable devices, through <see cref="NotifyWrite"/>): a decoded block
/// remembers the generation it was decoded at and is discarded when the page's generation moved on.
/// </summary>
public sealed class CodePageTracker
{
    // Pages above the array's reach (MMIO, high RAM beyond the initial size) grow it on demand.
    private int[] _generation = new int[1 << 20];
    private byte[] _hasCode = new byte[1 << 20];
    private readonly Lock _grow = new();

    internal int Generation(ulong page) => page < (ulong)_generation.Length ? Volatile.Read(ref _generation[page]) : 0;

    internal void MarkCode(ulong page)
    {
        if (page >= (ulong)_hasCode.Length) Grow(page);
        _hasCode[page] = 1;
    }

    /// <summary>Call after anything other than the CPUs writes guest RAM (DMA), so stale decoded code is dropped.</summary>
    public void NotifyWrite(ulong gpa, int length)
    {
        if (length <= 0) return;
        for (ulong page = gpa >> 12, last = (gpa + (ulong)length - 1) >> 12; page <= last; page++) NotifyPageWrite(page);
    }

    internal void NotifyPageWrite(ulong page)
    {
        if (page >= (ulong)_hasCode.Length || _hasCode[page] == 0) return;
        _hasCode[page] = 0;
        Interlocked.Increment(ref _generation[page]);
    }

    /// <summary>True if the page may hold decoded code (a write must call <see cref="NotifyPageWrite"/>).</summary>
    internal bool HasCode(ulong page) => page < (ulong)_hasCode.Length && _hasCode[page] != 0;

    private void Grow(ulong page)
    {
        if (page >= 1UL << 28) throw new ArgumentOutOfRangeException(nameof(page), "code above 1 TiB of physical address space");
        lock (_grow)
        {
            int size = _hasCode.Length;
            while ((ulong)size <= page) size *= 2;
            if (size == _hasCode.Length) return;
            var gen = new int[size];
            var has = new byte[size];
            _generation.CopyTo(gen, 0);
            _hasCode.CopyTo(has, 0);
            _generation = gen;
            _hasCode = has;
        }
    }
}
