namespace Xenon.Kvm;

public sealed unsafe partial class KvmVcpu
{
    /// <summary>The VM's coalesced-write ring as this vCPU's mapping holds it, <paramref name="pageOffset"/> pages in
    /// (KVM_CHECK_EXTENSION(KVM_CAP_COALESCED_MMIO)'s answer); null when the mapping does not reach that far.
    /// Valid until <see cref="Dispose"/>.</summary>
    public KvmCoalescedRing? CoalescedRing(int pageOffset)
    {
        if (pageOffset <= 0) return null;
        long start = (long)pageOffset * KvmCoalescedRing.PageSize;
        if (start + KvmCoalescedRing.PageSize > _runPage.Size) return null;
        // the whole page lies inside the mapping (checked above)
        return new KvmCoalescedRing(_runPage.Address + (nint)start);
    }
}
