using System.Buffers.Binary;
using Xenon.Machine.Memory;

namespace Xenon.Domain.Save;

/// <summary>A validated MemoryPages record: <see cref="Count"/> entries, then the data of the non-zero pages in entry order.</summary>
public readonly ref struct MemoryPagesView
{
    private readonly RecordContext _context;
    private readonly ReadOnlySpan<byte> _payload;

    internal MemoryPagesView(RecordContext context, ReadOnlySpan<byte> payload)
    {
        _context = context;
        _payload = payload;
        Count = (int)BinaryPrimitives.ReadUInt32LittleEndian(payload);
    }

    public int Count { get; }

    public ulong Pfn(int index) => Entry(index) & SaveFormat.PagePfnMask;

    public bool IsZero(int index) => Entry(index) >> SaveFormat.PageKindShift == SaveFormat.PageKindZero;

    /// <summary>
    /// Writes every page of the batch into <paramref name="memory"/> (zero pages are cleared: in a live stream a page
    /// sent earlier with data may have become zero since). A frame outside <paramref name="memory"/> means the stream
    /// does not fit the domain built from its map: a <see cref="SaveFormatException"/>, with nothing past that page written.
    /// </summary>
    public void ApplyTo(GuestMemory memory) => ApplyTo(memory, memoryIsZero: false);

    /// <param name="memoryIsZero">The memory is freshly mapped and every page not yet written is zero (an eager restore,
    /// where each page comes once): zero entries are skipped, which keeps those pages unallocated and costs nothing.</param>
    public void ApplyTo(GuestMemory memory, bool memoryIsZero)
    {
        ArgumentNullException.ThrowIfNull(memory);
        int data = 8 + 8 * Count;
        for (int i = 0; i < Count; i++)
        {
            ulong pfn = Pfn(i);
            if (!memory.TryGetSpan(pfn << SaveFormat.PageShift, SaveFormat.PageSize, out var page))
                throw _context.Error(8 + 8 * i, "page entry", $"pfn 0x{pfn:x} is outside the restored domain's memory");
            if (IsZero(i))
            {
                if (!memoryIsZero) page.Clear();
                continue;
            }
            _payload.Slice(data, SaveFormat.PageSize).CopyTo(page);
            data += SaveFormat.PageSize;
        }
    }

    private ulong Entry(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return BinaryPrimitives.ReadUInt64LittleEndian(_payload[(8 + 8 * index)..]);
    }
}
