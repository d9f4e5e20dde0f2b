namespace Xenon.Domain.Save;

/// <summary>Checks and lookups on a MemoryRegionMap, shared by the writer and the reader so both hold streams to the same rules.</summary>
/// <remarks>On arrays, not spans: the reader holds the map as an array, and converting it to a ReadOnlySpan of this
/// struct is framework generic code that the ReadyToRun image does not hold (the JIT compiled it inside a restore).</remarks>
internal static class MemoryRegionMap
{
    /// <summary>Null if the map is valid: 1–64 regions, page-aligned, non-empty, ascending, disjoint, below 2^52.</summary>
    public static string? Check(MemoryRegionEntry[] regions)
    {
        if (regions.Length is 0 or > SaveFormat.MaxRegions) return $"{regions.Length} regions; a map has 1–{SaveFormat.MaxRegions}";
        ulong previousEnd = 0;
        const ulong limit = 1UL << SaveFormat.PhysicalAddressBits;
        for (int i = 0; i < regions.Length; i++)
        {
            var (gpa, size) = (regions[i].Gpa, regions[i].Size);
            if (((gpa | size) & (SaveFormat.PageSize - 1)) != 0 || size == 0)
                return $"region {i} (0x{gpa:x}+0x{size:x}) is not page-aligned and non-empty";
            if (gpa >= limit || size > limit - gpa)
                return $"region {i} (0x{gpa:x}+0x{size:x}) reaches beyond 2^{SaveFormat.PhysicalAddressBits}";
            if (i > 0 && gpa < previousEnd)
                return $"region {i} (0x{gpa:x}) overlaps or precedes region {i - 1}";
            previousEnd = gpa + size;
        }
        return null;
    }

    public static bool Contains(MemoryRegionEntry[] regions, ulong pfn)
    {
        int lo = 0, hi = regions.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            var r = regions[mid];
            if (pfn < r.FirstPfn) hi = mid - 1;
            else if (pfn - r.FirstPfn >= r.PfnCount) lo = mid + 1;
            else return true;
        }
        return false;
    }
}
