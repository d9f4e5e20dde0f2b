using System.Runtime.CompilerServices;

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
    private int _cpus;

    /// <summary>A CPU that uses this tracker (SMP: from the second one on, writes order themselves against decoding).</summary>
    internal void AddCpu() => Interlocked.Increment(ref _cpus);

    /// <summary>
    /// After a CPU stored to RAM page <paramref name="page"/>: drops decoded code there. With several CPUs the store
    /// must be visible before the "holds code" flag is read (x86 lets a load pass an earlier store): otherwise a CPU
    /// decoding that page right now could copy the old bytes while this one sees no code yet, and cache stale code
    /// for good. The decoder does the mirror image (flag, fence, bytes), see <see cref="Cpu"/>'s Decode.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    /// <returns>True if the page held decoded code (its generation moved on).</returns>
    internal bool AfterWrite(ulong page)
    {
        if (_cpus > 1) Interlocked.MemoryBarrier();
        if (!HasCode(page)) return false;
        NotifyPageWrite(page);
        return true;
    }

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
        Interlocked.MemoryBarrier(); // the device's stores before the flags are read (see AfterWrite)
        for (ulong page = gpa >> 12, last = (gpa + (ulong)length - 1) >> 12; page <= last; page++) NotifyPageWrite(page);
    }

    internal void NotifyPageWrite(ulong page)
    {
        if (page >= (ulong)_hasCode.Length || _hasCode[page] == 0) return;
        _hasCode[page] = 0;
        Interlocked.Increment(ref _generation[page]);
    }

    /// <summary>True if the page may hold decoded code (a write must call <see cref="NotifyPageWrite"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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
