using Xenon.Domain.Save;
using Xenon.Machine.Memory;

namespace Xenon.Domain.Migration;

/// <summary>
/// Puts a live stream's MemoryPages into freshly mapped guest memory. A page may come several times (the Live flag:
/// the last copy wins), so a zero entry must clear a page that came earlier with data; a zero entry for a page that
/// never got data is skipped, which keeps it unallocated (a mostly empty guest stays small on the receiver).
/// </summary>
internal sealed class LivePageLoader
{
    private readonly GuestMemory _memory;
    private readonly ulong[][] _hasData;

    public LivePageLoader(GuestMemory memory)
    {
        _memory = memory;
        _hasData = new ulong[memory.Regions.Count][];
        for (int i = 0; i < _hasData.Length; i++) _hasData[i] = new ulong[(memory.Regions[i].Size / SaveFormat.PageSize + 63) / 64];
    }

    /// <summary>
    /// Gives every page of the receiving memory back to the host, so it reads as zero: the sender skips the pages
    /// that never had data at the source (<see cref="PopulatedPages"/>), and whatever the build or the warm-up left in
    /// this memory must not stand in for them. Called once, before the first page record; cheap for memory that is
    /// mostly unallocated, as a freshly built machine's is.
    /// </summary>
    public void ZeroAll()
    {
        for (int r = 0; r < _memory.Regions.Count; r++)
        {
            var region = _memory.Regions[r];
            Array.Clear(_hasData[r]);
            if (_memory.Discard(region.GuestAddress, region.Size)) continue;
            // The host refused to release it (not expected for anonymous memory): clear it by hand instead.
            for (ulong gpa = region.GuestAddress; gpa < region.End; gpa += SaveFormat.PageSize)
            {
                var page = _memory.GetSpan(gpa, SaveFormat.PageSize);
                if (page.IndexOfAnyExcept((byte)0) >= 0) page.Clear();
            }
        }
    }

    /// <summary>A MemoryPages record (validated by the reader). A page outside the memory is a <see cref="SaveFormatException"/>,
    /// with nothing past it written.</summary>
    public void Apply(SaveRecord record)
    {
        var view = record.MemoryPages;
        var payload = record.Payload;
        int data = 8 + 8 * view.Count;
        for (int i = 0; i < view.Count; i++)
        {
            ulong pfn = view.Pfn(i);
            ulong gpa = pfn << SaveFormat.PageShift;
            int region = RegionOf(gpa);
            if (region < 0 || !_memory.TryGetSpan(gpa, SaveFormat.PageSize, out var page))
                throw record.Error(8 + 8 * i, "page entry", $"pfn 0x{pfn:x} is outside the receiving domain's memory");
            ulong bit = (gpa - _memory.Regions[region].GuestAddress) >> SaveFormat.PageShift;
            ref ulong word = ref _hasData[region][bit / 64];
            ulong mask = 1UL << (int)(bit % 64);
            if (view.IsZero(i))
            {
                if ((word & mask) != 0)
                {
                    page.Clear();
                    word &= ~mask;
                }
                continue;
            }
            payload.Slice(data, SaveFormat.PageSize).CopyTo(page);
            data += SaveFormat.PageSize;
            word |= mask;
        }
    }

    private int RegionOf(ulong gpa)
    {
        var regions = _memory.Regions;
        for (int i = 0; i < regions.Count; i++)
            if (regions[i].Contains(gpa)) return i;
        return -1;
    }
}
