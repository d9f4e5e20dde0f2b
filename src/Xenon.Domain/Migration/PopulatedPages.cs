using System.Globalization;
using Microsoft.Win32.SafeHandles;
using Xenon.Domain.Save;
using Xenon.Machine.Memory;

namespace Xenon.Domain.Migration;

/// <summary>
/// The pages of guest RAM the host has ever given this process, for pre-copy's first pass: a page that was never
/// touched (or was discarded: balloon, free page reporting) has no host page and reads as zero, so it need not be
/// read, let alone sent. Reading it would cost a first-touch fault each (a tenth of the link's rate at 1 GiB under the
/// nested host, docs/benchmarks.md) and would map it. The receiver starts from zeroed RAM, so what is not sent is zero
/// there too (<see cref="LivePageLoader.ZeroAll"/>).
/// </summary>
/// <remarks>
/// Guest RAM is anonymous memory, so <c>/proc/self/pagemap</c> tells per page whether it is present (bit 63) or
/// swapped out (bit 62); a page that is neither is a hole. A region that is not plain anonymous memory — a memfd, or
/// one a lazy restore mapped privately from a save file, whose untouched pages hold the file's data — and a pagemap
/// that cannot be read make the whole region count as populated: the full pass then reads it as before. Pages that
/// get written after their entry was read are in the dirty log, which is on before this runs.
/// </remarks>
internal static class PopulatedPages
{
    private const ulong Present = 1UL << 63;
    private const ulong Swapped = 1UL << 62;
    private const int EntriesPerRead = 8192; // 64 KiB of pagemap: 32 MiB of guest RAM per read

    /// <summary>Writes the pfns (ascending, region by region) of the pages of <paramref name="memory"/> that may hold
    /// data into <paramref name="pfns"/> (one entry per page of RAM at least) and returns how many there are.</summary>
    public static int Collect(GuestMemory memory, ulong[] pfns, string pagemapPath = "/proc/self/pagemap", string mapsPath = "/proc/self/maps")
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(pfns);
        var fileBacked = FileBackedRanges(mapsPath);
        SafeFileHandle? pagemap = null;
        try
        {
            try
            {
                pagemap = File.OpenHandle(pagemapPath, FileMode.Open, FileAccess.Read);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                pagemap = null;
            }
            var entries = new ulong[EntriesPerRead];
            int count = 0;
            for (int r = 0; r < memory.Regions.Count; r++)
            {
                var region = memory.Regions[r];
                ulong firstPfn = region.GuestAddress >> SaveFormat.PageShift;
                ulong pages = region.Size >> SaveFormat.PageShift;
                ulong host = (ulong)memory.Mappings[r].Address;
                bool readAll = pagemap is null || memory.Mappings[r].MemFd is not null || fileBacked is null
                    || Overlaps(fileBacked, host, region.Size);
                if (readAll || !TryAddPresent(pagemap!, host, pages, firstPfn, entries, pfns, ref count))
                {
                    // Nothing of this region was added yet when the pagemap fails: TryAddPresent rolls back.
                    for (ulong i = 0; i < pages; i++) pfns[count++] = firstPfn + i;
                }
            }
            return count;
        }
        finally
        {
            pagemap?.Dispose();
        }
    }

    private static bool TryAddPresent(SafeFileHandle pagemap, ulong host, ulong pages, ulong firstPfn, ulong[] entries, ulong[] pfns, ref int count)
    {
        int start = count;
        ulong firstHostPage = host / (ulong)Environment.SystemPageSize;
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(entries.AsSpan());
        for (ulong done = 0; done < pages;)
        {
            int want = (int)Math.Min((ulong)EntriesPerRead, pages - done);
            int got;
            try
            {
                got = RandomAccess.Read(pagemap, bytes[..(want * 8)], checked((long)((firstHostPage + done) * 8))) / 8;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or OverflowException)
            {
                got = 0;
            }
            if (got <= 0)
            {
                count = start;
                return false;
            }
            for (int i = 0; i < got; i++)
                if ((entries[i] & (Present | Swapped)) != 0) pfns[count++] = firstPfn + done + (ulong)i;
            done += (ulong)got;
        }
        return true;
    }

    /// <summary>The host ranges mapped from a file (inode not 0), or null if the maps cannot be read.</summary>
    private static List<(ulong Start, ulong End)>? FileBackedRanges(string mapsPath)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(mapsPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        var ranges = new List<(ulong, ulong)>();
        foreach (var line in lines)
        {
            // "start-end perms offset dev inode [path]"
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 5) continue;
            int dash = fields[0].IndexOf('-');
            if (dash <= 0) continue;
            if (!ulong.TryParse(fields[0].AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong start)
                || !ulong.TryParse(fields[0].AsSpan(dash + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong end))
                continue;
            if (fields[4] != "0") ranges.Add((start, end));
        }
        return ranges;
    }

    private static bool Overlaps(List<(ulong Start, ulong End)> ranges, ulong start, ulong length)
    {
        ulong end = start + length;
        foreach (var (s, e) in ranges)
            if (s < end && e > start) return true;
        return false;
    }
}
