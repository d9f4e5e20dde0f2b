using System.Runtime.CompilerServices;

namespace Xenon.Emulator.Execution;

/// <summary>
/// Per guest-physical page, what a write to it must do besides storing: drop decoded code (a generation per page that
/// changes when a page holding code is written), and, while dirty logging is on, record the page in the dirty log.
/// Shared by all vCPUs of a machine (and by DMA-capable devices, through <see cref="NotifyWrite"/>): a decoded block
/// remembers the generation it was decoded at and is discarded when the page's generation moved on.
/// </summary>
/// <remarks>
/// Dirty logging rides on the check every store already makes for code (<see cref="AfterWrite"/>): a page that is
/// clean in the current round carries <see cref="CleanFlag"/>, so its first write leaves the common path, sets the
/// page's bit and clears the flag; later writes to it in the round cost nothing more than before. QEMU's TCG gets the
/// same effect by withholding the TLB's direct-write permission from clean pages; here every store (interpreted, the
/// translated code's probe, string operations, locked operations) already calls the per-page check, so withholding
/// permission would only add a TLB shoot-down per round. The order that makes it exact: a store lands first, then
/// the flag is read; the collector takes the bits, sets the flags again, and then makes every thread drain its
/// store buffer (<see cref="Interlocked.MemoryBarrierProcessWide"/>) before anyone reads the pages. So a store
/// either is visible to that read or found the flag and is in the next round.
/// </remarks>
public sealed class CodePageTracker
{
    private const byte CodeFlag = 1, CleanFlag = 2;

    // Pages above the array's reach (MMIO, high RAM beyond the initial size) grow it on demand.
    private int[] _generation = new int[1 << 20];
    private byte[] _flags = new byte[1 << 20];
    private readonly Lock _grow = new();
    private int _cpus;

    // One bit a page, from page 0 to the end of the highest logged range; sized once when logging first starts.
    private ulong[] _dirty = [];
    private int _loggedRanges;

    /// <summary>A CPU that uses this tracker (SMP: from the second one on, writes order themselves against decoding).</summary>
    internal void AddCpu() => Interlocked.Increment(ref _cpus);

    /// <summary>
    /// After a CPU stored to RAM page <paramref name="page"/>: drops decoded code there, and logs the page if it is
    /// clean in a logging round. With several CPUs the store must be visible before the flags are read (x86 lets a
    /// load pass an earlier store): otherwise a CPU decoding that page right now could copy the old bytes while this
    /// one sees no code yet, and cache stale code for good. The decoder does the mirror image (flag, fence, bytes),
    /// see <see cref="Cpu"/>'s Decode. (The dirty log's collector fences for the writers: see the remarks.)
    /// </summary>
    /// <returns>True if the page held decoded code (its generation moved on).</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool AfterWrite(ulong page)
    {
        if (_cpus > 1) Interlocked.MemoryBarrier();
        byte[] flags = _flags;
        if (page >= (ulong)flags.Length || flags[page] == 0) return false;
        return NotifyPageWrite(page);
    }

    internal int Generation(ulong page) => page < (ulong)_generation.Length ? Volatile.Read(ref _generation[page]) : 0;

    /// <summary>Moves on whenever any page's generation does: while it stands still, every generation checked before still
    /// holds (the CPUs' link epoch, Cpu.LinkEpoch.cs).</summary>
    internal long Version => Volatile.Read(ref _version);

    private long _version;

    internal void MarkCode(ulong page)
    {
        if (page >= (ulong)_flags.Length) Grow(page);
        if ((Volatile.Read(ref _flags[page]) & CodeFlag) == 0) SetFlag(page, CodeFlag);
    }

    /// <summary>Call after anything other than the CPUs writes guest RAM (DMA), so stale decoded code is dropped and
    /// the pages are logged while dirty logging is on.</summary>
    public void NotifyWrite(ulong gpa, int length)
    {
        if (length <= 0) return;
        Interlocked.MemoryBarrier(); // the device's stores before the flags are read (see AfterWrite)
        for (ulong page = gpa >> 12, last = (gpa + (ulong)length - 1) >> 12; page <= last; page++) NotifyPageWrite(page);
    }

    /// <summary>A write to <paramref name="page"/> happened (the store is already done): logs it if clean, drops its
    /// code. Returns true if it held code.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal bool NotifyPageWrite(ulong page)
    {
        byte[] flags = _flags;
        if (page >= (ulong)flags.Length || Volatile.Read(ref flags[page]) == 0) return false;
        if (ClearFlag(flags, page, CleanFlag))
        {
            ulong[] dirty = _dirty;
            if (page / 64 < (ulong)dirty.Length) Interlocked.Or(ref dirty[page / 64], 1UL << (int)(page % 64));
        }
        if (!ClearFlag(flags, page, CodeFlag)) return false;
        Interlocked.Increment(ref _generation[page]);
        Interlocked.Increment(ref _version); // after the generation: whoever sees the new version sees the new generation
        return true;
    }

    /// <summary>True if the page may hold decoded code (a write must call <see cref="NotifyPageWrite"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool HasCode(ulong page) => page < (ulong)_flags.Length && (Volatile.Read(ref _flags[page]) & CodeFlag) != 0;

    /// <summary>Whether any range is being dirty-logged.</summary>
    public bool DirtyLogging => Volatile.Read(ref _loggedRanges) > 0;

    /// <summary>
    /// Starts logging writes to pages [<paramref name="firstPage"/>, +<paramref name="pageCount"/>): every page is clean
    /// from now on, and its next write (by a CPU, a device through <see cref="NotifyWrite"/>, or a page walk setting
    /// Accessed/Dirty bits) sets its bit. <paramref name="highestPage"/> (exclusive) sizes the log for every range the
    /// caller will ever log; the first call allocates it.
    /// </summary>
    public void StartDirtyLog(ulong firstPage, ulong pageCount, ulong highestPage)
    {
        ulong end = firstPage + pageCount;
        if (end > highestPage || end < firstPage)
            throw new ArgumentOutOfRangeException(nameof(pageCount), $"pages {firstPage}+{pageCount} lie beyond the log's end (page {highestPage})");
        lock (_grow)
        {
            if (end > 0 && end - 1 >= (ulong)_flags.Length) GrowLocked(end - 1);
            if ((ulong)_dirty.Length * 64 < highestPage)
            {
                if (_loggedRanges > 0) throw new InvalidOperationException("the dirty log cannot grow while a range is logged");
                _dirty = new ulong[(highestPage + 63) / 64];
            }
            for (ulong p = firstPage; p < end; p++)
            {
                Interlocked.And(ref _dirty[p / 64], ~(1UL << (int)(p % 64)));
                SetFlag(p, CleanFlag);
            }
            _loggedRanges++;
        }
        Interlocked.MemoryBarrierProcessWide();
    }

    /// <summary>Stops logging the range; its pages stop taking the logging path (bits still set stay until collected).</summary>
    public void StopDirtyLog(ulong firstPage, ulong pageCount)
    {
        lock (_grow)
        {
            byte[] flags = _flags;
            for (ulong p = firstPage, end = Math.Min(firstPage + pageCount, (ulong)flags.Length); p < end; p++) ClearFlag(flags, p, CleanFlag);
            if (_loggedRanges > 0) _loggedRanges--;
        }
    }

    /// <summary>
    /// Writes into <paramref name="bitmap"/> (bit i = page <paramref name="firstPage"/> + i) the pages written since
    /// logging started or the previous call, clears them, and makes them clean again. When this returns, every store
    /// that was not logged for the next round is visible in memory (see the remarks), so the caller may read the pages.
    /// </summary>
    public void GetAndClearDirtyLog(ulong firstPage, ulong pageCount, Span<ulong> bitmap)
    {
        bitmap.Clear();
        ulong[] dirty = _dirty;
        ulong count = Math.Min(pageCount, (ulong)bitmap.Length * 64);
        lock (_grow)
        {
            for (ulong i = 0; i < count;)
            {
                ulong page = firstPage + i;
                if (page / 64 >= (ulong)dirty.Length) break;
                int shift = (int)(page % 64);
                int take = (int)Math.Min((ulong)(64 - shift), count - i);
                ulong mask = (take == 64 ? ulong.MaxValue : (1UL << take) - 1) << shift;
                ulong taken = Volatile.Read(ref dirty[page / 64]) & mask;
                if (taken != 0)
                {
                    taken = Interlocked.And(ref dirty[page / 64], ~mask) & mask;
                    for (ulong bits = taken; bits != 0; bits &= bits - 1)
                    {
                        ulong p = page / 64 * 64 + (ulong)System.Numerics.BitOperations.TrailingZeroCount(bits);
                        SetFlag(p, CleanFlag);
                        ulong rel = p - firstPage;
                        bitmap[(int)(rel / 64)] |= 1UL << (int)(rel % 64);
                    }
                }
                i += (ulong)take;
            }
        }
        Interlocked.MemoryBarrierProcessWide();
    }

    private void SetFlag(ulong page, byte flag)
    {
        ref byte f = ref _flags[page];
        byte old = Volatile.Read(ref f);
        while ((old & flag) == 0)
        {
            byte seen = Interlocked.CompareExchange(ref f, (byte)(old | flag), old);
            if (seen == old) return;
            old = seen;
        }
    }

    // True if this call cleared the flag (exactly one of several racing writers wins).
    private static bool ClearFlag(byte[] flags, ulong page, byte flag)
    {
        ref byte f = ref flags[page];
        byte old = Volatile.Read(ref f);
        while ((old & flag) != 0)
        {
            byte seen = Interlocked.CompareExchange(ref f, (byte)(old & ~flag), old);
            if (seen == old) return true;
            old = seen;
        }
        return false;
    }

    private void Grow(ulong page)
    {
        lock (_grow) GrowLocked(page);
    }

    private void GrowLocked(ulong page)
    {
        if (page >= 1UL << 28) throw new ArgumentOutOfRangeException(nameof(page), "code above 1 TiB of physical address space");
        int size = _flags.Length;
        while ((ulong)size <= page) size *= 2;
        if (size == _flags.Length) return;
        var gen = new int[size];
        var flags = new byte[size];
        _generation.CopyTo(gen, 0);
        _flags.CopyTo(flags, 0);
        _generation = gen;
        _flags = flags;
    }
}
