using Xenon.Kvm;

namespace Xenon.Machine.Backend.Kvm;

/// <summary>
/// Hands a VM's coalesced writes (<see cref="KvmCoalescedRing"/>) to the exit handler. Every vCPU of the VM calls
/// <see cref="Deliver"/> after each return from KVM_RUN and before handling its exit, so the handler sees a queued
/// CONFIG_ADDRESS write before the data-port access that follows it, whichever vCPU drains the ring. Off (nothing to
/// do) until <see cref="Enable"/>; the common case, an empty ring, takes no lock. A write that no exit follows (a
/// reset through 0xcf9, inside the zone, then HLT, which the in-kernel irqchip handles without exiting) is applied by
/// <see cref="DeliverPending"/>, which the backend calls from a timer.
/// </summary>
internal sealed class CoalescedWriteDrain
{
    private readonly Lock _lock = new();
    private volatile int _pageOffset;
    // The ring, handler and vCPU the timer drains with: the first vCPU's to deliver, until that vCPU is disposed.
    private volatile KvmCoalescedRing? _pollRing;
    private IVcpuExitHandler? _pollHandler;
    private int _pollVcpu;

    public bool Enabled => _pageOffset > 0;

    /// <summary>Where the ring page lies in a vCPU mapping, in pages; 0 while off.</summary>
    public int PageOffset => _pageOffset;

    /// <param name="pageOffset">Where the ring page lies in a vCPU mapping, in pages (KVM_CAP_COALESCED_MMIO's answer).</param>
    public void Enable(int pageOffset)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageOffset, 1);
        _pageOffset = pageOffset;
    }

    /// <summary>Applies every queued write, oldest first, as <paramref name="vcpuIndex"/>'s accesses.</summary>
    /// <param name="ring">The ring as the calling vCPU's mapping holds it.</param>
    public void Deliver(KvmCoalescedRing ring, int vcpuIndex, IVcpuExitHandler handler)
    {
        if (_pollRing is null) Remember(ring, vcpuIndex, handler);
        if (ring.IsEmpty) return;
        lock (_lock) DrainLocked(ring, vcpuIndex, handler);
    }

    /// <summary>Applies what is queued while no vCPU exits. Safe at any time: after <see cref="Forget"/> of the ring
    /// it used, it does nothing until another vCPU delivers.</summary>
    public void DeliverPending()
    {
        lock (_lock)
        {
            if (_pollRing is not { } ring || _pollHandler is not { } handler || ring.IsEmpty) return;
            DrainLocked(ring, _pollVcpu, handler);
        }
    }

    /// <summary>Stops using <paramref name="ring"/> from the timer (its vCPU's mapping is about to go).</summary>
    public void Forget(KvmCoalescedRing ring)
    {
        lock (_lock)
        {
            if (!ReferenceEquals(_pollRing, ring)) return;
            _pollRing = null;
            _pollHandler = null;
        }
    }

    /// <summary>Makes <paramref name="ring"/> (as vCPU <paramref name="vcpuIndex"/> maps it) the one
    /// <see cref="DeliverPending"/> drains, with <paramref name="handler"/>, unless another is already.</summary>
    public void Remember(KvmCoalescedRing ring, int vcpuIndex, IVcpuExitHandler handler)
    {
        lock (_lock)
        {
            if (_pollRing is not null) return;
            _pollHandler = handler;
            _pollVcpu = vcpuIndex;
            _pollRing = ring;
        }
    }

    private static void DrainLocked(KvmCoalescedRing ring, int vcpuIndex, IVcpuExitHandler handler)
    {
        Span<byte> data = stackalloc byte[Xenon.Kvm.Abi.KvmCoalescedMmio.MaxData];
        // Applied, then freed: until then the ring is not empty to another vCPU's look in Deliver, which would
        // otherwise handle its CONFIG_DATA exit before this vCPU has applied that vCPU's CONFIG_ADDRESS write.
        while (ring.TryPeek(data, out ulong address, out bool pio, out int length))
        {
            if (pio) handler.PortIo(vcpuIndex, (ushort)address, data[..length], isWrite: true);
            else handler.Mmio(vcpuIndex, address, data[..length], isWrite: true);
            ring.Advance();
        }
    }
}
