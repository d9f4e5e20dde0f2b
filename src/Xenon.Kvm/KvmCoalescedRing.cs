using System.Runtime.CompilerServices;
using Xenon.Kvm.Abi;

namespace Xenon.Kvm;

/// <summary>
/// KVM's coalesced-write ring (one page, shared by every vCPU of a VM, reached through a vCPU's mapping): writes to
/// a registered zone that KVM queued instead of exiting. The consumer must apply them, in order, before it handles
/// any exit, so a device sees the guest's accesses in program order. One consumer at a time (the caller locks).
/// </summary>
public sealed unsafe class KvmCoalescedRing
{
    public const int PageSize = 4096;

    /// <summary>KVM_COALESCED_MMIO_MAX: the entries that fit in the page after the header.</summary>
    public static readonly int Capacity = (PageSize - sizeof(KvmCoalescedMmioRing)) / sizeof(KvmCoalescedMmio);

    private readonly KvmCoalescedMmioRing* _ring;
    private readonly KvmCoalescedMmio* _entries;

    /// <param name="page">The start of the ring page: <see cref="PageSize"/> bytes that stay mapped as long as this view
    /// is used (the vCPU mapping that holds it, or a test buffer).</param>
    internal KvmCoalescedRing(nint page)
    {
        if (page == 0) throw new ArgumentException("the coalesced ring page is not mapped", nameof(page));
        _ring = (KvmCoalescedMmioRing*)page;
        _entries = (KvmCoalescedMmio*)(page + sizeof(KvmCoalescedMmioRing));
    }

    /// <summary>Nothing is queued (a lock-free look, for the common case).</summary>
    public bool IsEmpty => Volatile.Read(ref _ring->First) == Volatile.Read(ref _ring->Last);

    /// <summary>Takes the oldest queued write (<see cref="TryPeek"/> then <see cref="Advance"/>).</summary>
    public bool TryTake(Span<byte> data, out ulong address, out bool pio, out int length)
    {
        if (!TryPeek(data, out address, out pio, out length)) return false;
        Advance();
        return true;
    }

    /// <summary>Reads the oldest queued write without freeing its slot: its address, whether it is a port write, and
    /// its bytes (copied into <paramref name="data"/>, which needs room for <see cref="KvmCoalescedMmio.MaxData"/>).
    /// False when empty. The ring stays non-empty until <see cref="Advance"/>, so a consumer that applies the write
    /// before advancing keeps other vCPUs' lock-free <see cref="IsEmpty"/> looks from passing a write not yet applied.</summary>
    /// <exception cref="InvalidOperationException">The ring's indexes or an entry's length are out of range.</exception>
    public bool TryPeek(Span<byte> data, out ulong address, out bool pio, out int length)
    {
        uint first = Volatile.Read(ref _ring->First);
        // Acquire: the entry KVM wrote before it moved last is visible once last is.
        uint last = Volatile.Read(ref _ring->Last);
        address = 0;
        pio = false;
        length = 0;
        if (first == last) return false;
        if (first >= (uint)Capacity || last >= (uint)Capacity)
            throw new InvalidOperationException($"coalesced ring indexes first={first} last={last} exceed its {Capacity} entries");
        // first is below Capacity (checked above), so the entry lies inside the page
        KvmCoalescedMmio* entry = _entries + first;
        uint len = entry->Len;
        if (len == 0 || len > KvmCoalescedMmio.MaxData)
            throw new InvalidOperationException($"coalesced write at 0x{entry->PhysAddr:x} has length {len} (1 to {KvmCoalescedMmio.MaxData})");
        if (data.Length < (int)len)
            throw new ArgumentException($"needs room for {len} bytes", nameof(data));
        new ReadOnlySpan<byte>(entry->Data, (int)len).CopyTo(data);
        address = entry->PhysAddr;
        pio = entry->Pio != 0;
        length = (int)len;
        return true;
    }

    /// <summary>Frees the oldest entry's slot (after <see cref="TryPeek"/> returned it).</summary>
    public void Advance()
    {
        uint first = Volatile.Read(ref _ring->First);
        if (first >= (uint)Capacity)
            throw new InvalidOperationException($"coalesced ring index first={first} exceeds its {Capacity} entries");
        // Release: the entry is read (and applied) before KVM may reuse its slot.
        Volatile.Write(ref _ring->First, (first + 1) % (uint)Capacity);
    }
}
