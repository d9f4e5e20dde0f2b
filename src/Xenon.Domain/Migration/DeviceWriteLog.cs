using Xenon.Machine.Memory;

namespace Xenon.Domain.Migration;

/// <summary>
/// The pages device models wrote (virtio DMA, used rings, discarded balloon pages): KVM's dirty log sees only the
/// vCPUs' writes, and a page a device filled after it was sent would otherwise reach the receiver stale. One bit a page
/// per RAM region, set from any device thread without a lock (<see cref="Interlocked.Or(ref ulong, ulong)"/>), taken and
/// cleared a word at a time by <see cref="DrainInto"/>.
/// </summary>
internal sealed class DeviceWriteLog : IGuestMemoryWriteObserver
{
    private readonly GuestMemory _memory;
    private readonly ulong[][] _bits;

    public DeviceWriteLog(GuestMemory memory)
    {
        _memory = memory;
        _bits = new ulong[memory.Regions.Count][];
        for (int i = 0; i < _bits.Length; i++) _bits[i] = new ulong[(memory.Regions[i].Size / 4096 + 63) / 64];
    }

    public void OnGuestMemoryWritten(ulong gpa, int length)
    {
        if (length <= 0) return;
        var regions = _memory.Regions;
        for (int r = 0; r < regions.Count; r++)
        {
            var region = regions[r];
            if (!region.Contains(gpa)) continue;
            ulong first = (gpa - region.GuestAddress) / 4096;
            ulong last = Math.Min(gpa - region.GuestAddress + (ulong)length - 1, region.Size - 1) / 4096;
            var bits = _bits[r];
            for (ulong page = first; page <= last; page++) Interlocked.Or(ref bits[page / 64], 1UL << (int)(page % 64));
            return;
        }
    }

    /// <summary>ORs region <paramref name="region"/>'s pages written since the last drain into <paramref name="bitmap"/>, clearing them here.</summary>
    public void DrainInto(int region, Span<ulong> bitmap)
    {
        var bits = _bits[region];
        for (int i = 0; i < bits.Length && i < bitmap.Length; i++)
            if (Volatile.Read(ref bits[i]) != 0) bitmap[i] |= Interlocked.Exchange(ref bits[i], 0);
    }
}
