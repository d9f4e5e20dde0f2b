using Xenon.Kvm;

namespace Xenon.Machine.Backend.Kvm;

/// <summary>
/// Hands a VM's coalesced writes (<see cref="KvmCoalescedRing"/>) to the exit handler. Every vCPU of the VM calls
/// <see cref="Deliver"/> after each return from KVM_RUN and before handling its exit, so the handler sees a queued
/// CONFIG_ADDRESS write before the data-port access that follows it, whichever vCPU drains the ring. Off (nothing to
/// do) until <see cref="Enable"/>; the common case, an empty ring, takes no lock.
/// </summary>
internal sealed class CoalescedWriteDrain
{
    private readonly Lock _lock = new();
    private volatile int _pageOffset;

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
        if (ring.IsEmpty) return;
        Span<byte> data = stackalloc byte[Xenon.Kvm.Abi.KvmCoalescedMmio.MaxData];
        lock (_lock)
        {
            // Applied, then freed: until then the ring is not empty to another vCPU's look above, which would
            // otherwise handle its CONFIG_DATA exit before this vCPU has applied that vCPU's CONFIG_ADDRESS write.
            while (ring.TryPeek(data, out ulong address, out bool pio, out int length))
            {
                if (pio) handler.PortIo(vcpuIndex, (ushort)address, data[..length], isWrite: true);
                else handler.Mmio(vcpuIndex, address, data[..length], isWrite: true);
                ring.Advance();
            }
        }
    }
}
