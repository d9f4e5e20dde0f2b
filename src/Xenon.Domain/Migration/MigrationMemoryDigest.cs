using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Xenon.Machine.Memory;

namespace Xenon.Domain.Migration;

/// <summary>
/// XENON_MIGRATE_VERIFY=1: both sides of a migration log a digest of every MiB of guest memory, the sender once the
/// destination runs (its own guest still paused, so unchanged) and the receiver before it lets its vCPUs go, so that
/// two logs compared line for line say whether the destination started from exactly the source's memory, and if
/// not, where. A diagnostic: it reads all of RAM (faulting in what was never touched) and adds that to the window.
/// </summary>
internal static class MigrationMemoryDigest
{
    private const int ChunkBytes = 1 << 20;

    public static bool Enabled { get; } = Environment.GetEnvironmentVariable("XENON_MIGRATE_VERIFY") == "1";

    /// <summary>"whole HASH, N chunks: GPA=HASH …": every region's 1 MiB chunks in GPA order, each chunk's hash mixed from
    /// its pages' hashes.</summary>
    public static string Compute(GuestMemory memory) => Describe(memory, PageHashes(memory));

    /// <summary><see cref="Compute"/> from hashes <see cref="PageHashes"/> already took of <paramref name="memory"/>.</summary>
    public static string Describe(GuestMemory memory, ulong[] pages)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(pages);
        var chunks = new StringBuilder();
        ulong whole = Fnv.Offset;
        int count = 0, i = 0;
        foreach (var region in memory.Regions)
        {
            for (ulong gpa = region.GuestAddress; gpa < region.End; gpa += ChunkBytes)
            {
                ulong h = Fnv.Offset;
                for (ulong page = gpa; page < Math.Min(gpa + ChunkBytes, region.End); page += PageBytes) h = Fnv.Mix(h, pages[i++]);
                whole = Fnv.Mix(whole, h);
                chunks.Append(' ').Append(gpa.ToString("x", CultureInfo.InvariantCulture)).Append('=').Append(h.ToString("x16", CultureInfo.InvariantCulture));
                count++;
            }
        }
        return "whole " + whole.ToString("x16", CultureInfo.InvariantCulture) + ", " + count.ToString(CultureInfo.InvariantCulture) + " chunks:" + chunks;
    }

    /// <summary>One hash a page, in GPA order: what <see cref="Describe"/> and <see cref="ChangedPages(GuestMemory, ulong[], ulong[])"/> read.</summary>
    public static ulong[] PageHashes(GuestMemory memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ulong total = 0;
        foreach (var region in memory.Regions) total += region.Size / PageBytes;
        var hashes = new ulong[total];
        int i = 0;
        foreach (var region in memory.Regions)
            for (ulong gpa = region.GuestAddress; gpa < region.End; gpa += PageBytes)
                hashes[i++] = Fnv.Hash(memory.GetSpan(gpa, PageBytes));
        return hashes;
    }

    /// <summary>"N pages changed: GPA …" (at most 32 listed) between <paramref name="before"/> (from <see cref="PageHashes"/>
    /// of the same memory) and now.</summary>
    public static string ChangedPages(GuestMemory memory, ulong[] before) => ChangedPages(memory, before, PageHashes(memory));

    /// <summary>"N pages changed: GPA …" (at most 32 listed) between two <see cref="PageHashes"/> of the same memory.</summary>
    public static string ChangedPages(GuestMemory memory, ulong[] before, ulong[] now)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(now);
        var listed = new StringBuilder();
        int changed = 0, i = 0;
        foreach (var region in memory.Regions)
        {
            for (ulong gpa = region.GuestAddress; gpa < region.End; gpa += PageBytes, i++)
            {
                if (i >= before.Length || i >= now.Length || now[i] == before[i]) continue;
                if (++changed <= 32) listed.Append(' ').Append(gpa.ToString("x", CultureInfo.InvariantCulture));
            }
        }
        return changed.ToString(CultureInfo.InvariantCulture) + " pages changed:" + listed;
    }

    private const int PageBytes = 4096;

    private static class Fnv
    {
        public const ulong Offset = 0xcbf29ce484222325, Prime = 0x100000001b3;

        public static ulong Mix(ulong h, ulong word) => (h ^ word) * Prime;

        public static ulong Hash(ReadOnlySpan<byte> bytes)
        {
            ulong h = Offset;
            foreach (ulong w in MemoryMarshal.Cast<byte, ulong>(bytes)) h = Mix(h, w);
            for (int i = bytes.Length & ~7; i < bytes.Length; i++) h = Mix(h, bytes[i]);
            return h;
        }
    }
}
