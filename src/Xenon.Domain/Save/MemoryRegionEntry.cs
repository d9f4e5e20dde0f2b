namespace Xenon.Domain.Save;

/// <summary>One guest-physical RAM region of the MemoryRegionMap record: page-aligned start and size.</summary>
public readonly record struct MemoryRegionEntry(ulong Gpa, ulong Size)
{
    public ulong FirstPfn => Gpa >> SaveFormat.PageShift;

    public ulong PfnCount => Size >> SaveFormat.PageShift;

    public bool ContainsPfn(ulong pfn) => pfn >= FirstPfn && pfn - FirstPfn < PfnCount;
}
