using System.Buffers.Binary;
using Xenon.Devices.Virtio.Queue;

namespace Xenon.Devices.Virtio.Balloon;

/// <summary>
/// One report from the guest's statistics queue, immutable. A value is null when the guest did not report it
/// (older kernels send fewer tags; hugetlb ones only with CONFIG_HUGETLB_PAGE). Unknown tags are counted, not kept.
/// </summary>
public sealed class BalloonStats
{
    /// <summary>struct virtio_balloon_stat is packed: le16 tag then le64 value.</summary>
    public const int EntrySize = 10;

    /// <summary>Entries read from one buffer at most (Linux sends 16); the rest of a larger buffer is ignored.</summary>
    public const int MaxEntries = 64;

    private const int KnownTags = (int)BalloonStatTag.DirectReclaimed + 1;

    private readonly ulong[] _values;
    private readonly uint _present;

    private BalloonStats(ulong[] values, uint present, int unknownTags, bool truncated, DateTimeOffset receivedAt)
    {
        _values = values;
        _present = present;
        UnknownTags = unknownTags;
        Truncated = truncated;
        ReceivedAt = receivedAt;
    }

    /// <summary>Tags this device knows (the save layout has one value for each).</summary>
    internal const int KnownTagCount = KnownTags;

    /// <summary>Bit n set: tag n was reported.</summary>
    internal uint PresentMask => _present;

    /// <summary>Every known tag's value (0 where not reported), by tag.</summary>
    internal ReadOnlySpan<ulong> Values => _values;

    /// <summary>A report as a save recorded it. The caller has checked the mask (known tags only) and the counts.</summary>
    internal static BalloonStats FromSaved(ReadOnlySpan<ulong> values, uint present, int unknownTags, bool truncated, DateTimeOffset receivedAt)
    {
        var copy = new ulong[KnownTags];
        values[..KnownTags].CopyTo(copy);
        return new BalloonStats(copy, present, unknownTags, truncated, receivedAt);
    }

    public DateTimeOffset ReceivedAt { get; }

    /// <summary>Entries whose tag this device does not know (kept out of the snapshot).</summary>
    public int UnknownTags { get; }

    /// <summary>The buffer's length was not a whole number of entries, or it held more than <see cref="MaxEntries"/>.</summary>
    public bool Truncated { get; }

    public ulong? SwapIn => Get(BalloonStatTag.SwapIn);
    public ulong? SwapOut => Get(BalloonStatTag.SwapOut);
    public ulong? MajorFaults => Get(BalloonStatTag.MajorFaults);
    public ulong? MinorFaults => Get(BalloonStatTag.MinorFaults);
    public ulong? FreeMemory => Get(BalloonStatTag.FreeMemory);
    public ulong? TotalMemory => Get(BalloonStatTag.TotalMemory);
    public ulong? AvailableMemory => Get(BalloonStatTag.AvailableMemory);
    public ulong? DiskCaches => Get(BalloonStatTag.DiskCaches);
    public ulong? HugetlbAllocations => Get(BalloonStatTag.HugetlbAllocations);
    public ulong? HugetlbFailures => Get(BalloonStatTag.HugetlbFailures);
    public ulong? OomKills => Get(BalloonStatTag.OomKills);

    public ulong? Get(BalloonStatTag tag) =>
        (uint)tag < KnownTags && (_present & (1u << (int)tag)) != 0 ? _values[(int)tag] : null;

    /// <summary>Parses the readable part of a stats buffer. Never throws on guest input; a repeated tag keeps its last value.</summary>
    internal static BalloonStats Parse(DescriptorChain chain, DateTimeOffset receivedAt)
    {
        var values = new ulong[KnownTags];
        uint present = 0;
        int unknown = 0;
        ulong whole = chain.ReadableBytes / EntrySize;
        bool truncated = chain.ReadableBytes % EntrySize != 0 || whole > MaxEntries;
        int entries = (int)Math.Min(whole, MaxEntries);
        Span<byte> entry = stackalloc byte[EntrySize];
        for (int i = 0; i < entries; i++)
        {
            if (chain.CopyFromReadable(entry, (ulong)i * EntrySize) < EntrySize)
            {
                truncated = true;
                break;
            }
            ushort tag = BinaryPrimitives.ReadUInt16LittleEndian(entry);
            ulong value = BinaryPrimitives.ReadUInt64LittleEndian(entry[2..]);
            if (tag >= KnownTags)
            {
                unknown++;
                continue;
            }
            values[tag] = value;
            present |= 1u << tag;
        }
        return new BalloonStats(values, present, unknown, truncated, receivedAt);
    }
}
