using Microsoft.Win32.SafeHandles;
using Xenon.Kvm;

namespace Xenon.Machine.Memory;

/// <summary>
/// Guest RAM filled from a saved file without reading it (lazy restore): a range of a region is mapped privately from
/// the file at the same host address, so KVM's memory slots and the region's host address stay valid, and the pages
/// come in on first touch. See <see cref="HostMemoryFileOverlay"/> for what changes in the overlaid range (a discarded
/// page reads as the file's content again; the file must not change in place while mapped).
/// </summary>
public static class GuestMemoryFileImage
{
    /// <summary>True if region <paramref name="region"/> can take an overlay: anonymous memory of this process only
    /// (a memfd region is shared with backend processes, which would stop seeing the guest's pages).</summary>
    public static bool CanOverlay(GuestMemory memory, int region)
    {
        ArgumentNullException.ThrowIfNull(memory);
        return (uint)region < (uint)memory.Regions.Count && memory.Mappings[region].MemFd is null;
    }

    /// <summary>Maps [<paramref name="offset"/>, offset + <paramref name="length"/>) of region <paramref name="region"/>
    /// (offsets from the region's start, page-aligned) privately from <paramref name="file"/> at <paramref name="fileOffset"/>.</summary>
    /// <exception cref="ArgumentException">The range is not page-aligned or not inside the region, or the region cannot take an overlay.</exception>
    /// <exception cref="System.ComponentModel.Win32Exception">The host refused the mapping.</exception>
    public static void MapPrivate(GuestMemory memory, int region, ulong offset, ulong length, SafeFileHandle file, long fileOffset)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)region, (uint)memory.Regions.Count, nameof(region));
        HostMemoryFileOverlay.MapPrivate(memory.Mappings[region], offset, length, file, fileOffset);
    }

    /// <summary>Populates the page tables of a range for reading, so that first touches cost no host fault; best effort.</summary>
    public static bool TryPrefault(GuestMemory memory, int region, ulong offset, ulong length)
    {
        ArgumentNullException.ThrowIfNull(memory);
        if ((uint)region >= (uint)memory.Regions.Count) return false;
        return HostMemoryFileOverlay.TryPopulateRead(memory.Mappings[region], offset, length, out _);
    }
}
