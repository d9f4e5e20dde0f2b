using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using Xenon.Devices.State;
using Xenon.Devices.Virtio.Pci;
using Xenon.Devices.Virtio.Queue;
using Xenon.Domain.Save;
using Xenon.Machine.Cpu;
using Xenon.Machine.State;

namespace Xenon.Domain.SaveRestore;

/// <summary>
/// The guest pages a restore touches before the guest runs, found in a saved file's state records: each vCPU's
/// kvmclock pages (written when its MSRs are restored), every ready virtqueue's rings (read when the devices
/// restore and complete), and the buffers of the chains the driver had made available that the device had not
/// taken yet (the completion's kick of every queue serves them: the balloon reads its page-number arrays there). The toolstack reads them from the file while it checks the records
/// (<see cref="SavedDomainReader.CheckRecords"/>), before any request is sent, so that the domain process's first
/// touch of them through its private file mapping finds them in the page cache instead of waiting for the disk inside
/// restore-to-running. Only these few pages are read: guest RAM stays lazily mapped.
/// </summary>
/// <remarks>A hint: a record that does not decode is left to the restore, which refuses it by name.</remarks>
internal sealed class FirstTouchPages
{
    private const string VirtioPciIdPrefix = "pci:virtio-";

    // Bounds of the in-flight walk: a hint must stay a handful of reads, whatever the rings say.
    private const int MaxChainsPerQueue = 8, MaxDescriptorsPerChain = 16;
    private const ulong MaxBufferBytes = 64 << 10;

    // Guest-physical byte ranges; a few per vCPU and per queue.
    private readonly List<(ulong Gpa, ulong Length)> _ranges = [];

    // Every ready queue, for the walk of its chains in flight once its rings can be read.
    private readonly List<VirtQueueState> _queues = [];

    public int RangeCount => _ranges.Count;

    /// <summary>The noted guest-physical ranges, in the order they were noted.</summary>
    internal IReadOnlyList<(ulong Gpa, ulong Length)> Ranges => _ranges;

    /// <summary>XENON_RESTORE_PREFETCH=0 turns the read off (for measuring).</summary>
    public static bool Enabled => Environment.GetEnvironmentVariable("XENON_RESTORE_PREFETCH") != "0";

    /// <summary>XENON_RESTORE_PREFETCH=rings reads the clock pages and rings only, not the chains in flight (for measuring).</summary>
    private static bool ChainsInFlight => Environment.GetEnvironmentVariable("XENON_RESTORE_PREFETCH") != "rings";

    /// <summary>Notes the pages a vCPU record's kvmclock MSRs point at (the system time only when enabled, bit 0).</summary>
    public void TakeVcpu(ReadOnlySpan<byte> state)
    {
        VcpuState vcpu;
        try
        {
            vcpu = VcpuStateCodec.Decode(state);
        }
        catch (StateFormatException)
        {
            return;
        }
        foreach (var msr in vcpu.Msrs)
        {
            if (msr.Index == KvmClockMsrs.SystemTimeNew && (msr.Value & 1) != 0) _ranges.Add((msr.Value & ~1UL, 32));
            else if (msr.Index == KvmClockMsrs.WallClockNew && msr.Value != 0) _ranges.Add((msr.Value, 12));
        }
    }

    /// <summary>Notes every ready queue's descriptor table and rings of a virtio-pci function's record.</summary>
    public void TakeDevice(string id, ReadOnlySpan<byte> state)
    {
        if (!id.StartsWith(VirtioPciIdPrefix, StringComparison.Ordinal)) return;
        VirtioPciFunctionState function;
        try
        {
            function = VirtioPciStateCodec.Read(state);
        }
        catch (Exception e) when (e is DeviceStateException or ArgumentException or InvalidDataException)
        {
            return;
        }
        foreach (var queue in function.Transport.Queues)
            if (queue is not null) TakeQueue(queue);
    }

    /// <summary>Notes a ready queue's descriptor table and rings, and keeps it for <see cref="NoteChainsInFlight"/>.</summary>
    internal void TakeQueue(VirtQueueState queue)
    {
        if (!queue.Ready || queue.Size == 0) return;
        _ranges.Add((queue.DescriptorTable, SplitRingLayout.DescriptorTableBytes(queue.Size)));
        _ranges.Add((queue.AvailRing, SplitRingLayout.AvailRingBytes(queue.Size)));
        _ranges.Add((queue.UsedRing, SplitRingLayout.UsedRingBytes(queue.Size)));
        _queues.Add(queue);
    }

    /// <summary>Notes the buffers of the chains each queue's driver made available after the device's last one (at most
    /// <see cref="MaxChainsPerQueue"/> a queue, <see cref="MaxDescriptorsPerChain"/> a chain, <see cref="MaxBufferBytes"/>
    /// a buffer; an indirect descriptor's table, not what it points at). <paramref name="readGuest"/> fills the span
    /// from guest memory as the file holds it and says whether it could. A ring that disagrees with itself ends the walk
    /// of its queue: the restore judges it.</summary>
    internal void NoteChainsInFlight(ReadGuest readGuest)
    {
        Span<byte> field = stackalloc byte[SplitRingLayout.DescriptorSize];
        foreach (var queue in _queues)
        {
            if (!readGuest(queue.AvailRing + 2, field[..2])) continue;
            int pending = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(field) - queue.NextAvail);
            if (pending > queue.Size) continue;
            for (int i = 0; i < Math.Min(pending, MaxChainsPerQueue); i++)
            {
                ulong slot = queue.AvailRing + 4 + 2UL * (ushort)((queue.NextAvail + i) % queue.Size);
                if (!readGuest(slot, field[..2])) break;
                ushort index = BinaryPrimitives.ReadUInt16LittleEndian(field);
                for (int n = 0; n < MaxDescriptorsPerChain && index < queue.Size; n++)
                {
                    if (!readGuest(queue.DescriptorTable + (ulong)SplitRingLayout.DescriptorSize * index, field)) break;
                    ulong address = BinaryPrimitives.ReadUInt64LittleEndian(field);
                    uint length = BinaryPrimitives.ReadUInt32LittleEndian(field[8..]);
                    ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(field[12..]);
                    _ranges.Add((address, Math.Min(length, MaxBufferBytes)));
                    if ((flags & SplitRingLayout.DescFlagIndirect) != 0 || (flags & SplitRingLayout.DescFlagNext) == 0) break;
                    index = BinaryPrimitives.ReadUInt16LittleEndian(field[14..]);
                }
            }
        }
    }

    /// <summary>Reads guest bytes at <paramref name="gpa"/> into <paramref name="into"/>; false if it cannot.</summary>
    internal delegate bool ReadGuest(ulong gpa, Span<byte> into);

    /// <summary>Reads each noted page that lies in a mapped (not all-zero) chunk of an image, then the buffers of the
    /// chains in flight that the rings read from the file name; returns how many pages were read. A failed read is not
    /// an error here (the restore reads the file again and reports it).</summary>
    public int ReadInto(SafeFileHandle file, IReadOnlyList<MemoryImageLayout> images)
    {
        var read = new HashSet<long>();
        if (!ReadPages(file, images, read, 0) || !ChainsInFlight) return read.Count;
        int rings = _ranges.Count;
        NoteChainsInFlight((gpa, into) => ReadGuestBytes(file, images, gpa, into));
        ReadPages(file, images, read, rings);
        return read.Count;
    }

    // A field that crosses a page is read page by page: the next guest page need not follow in the file.
    private static bool ReadGuestBytes(SafeFileHandle file, IReadOnlyList<MemoryImageLayout> images, ulong gpa, Span<byte> into)
    {
        const ulong page = 1UL << SaveFormat.PageShift;
        while (!into.IsEmpty)
        {
            if (FileOffset(images, gpa) is not { } offset) return false;
            int n = (int)Math.Min((ulong)into.Length, page - (gpa & (page - 1)));
            try
            {
                if (RandomAccess.Read(file, into[..n], offset) != n) return false;
            }
            catch (IOException)
            {
                return false;
            }
            into = into[n..];
            gpa += (ulong)n;
        }
        return true;
    }

    // Reads the pages of the ranges from index first on; false once a read failed.
    private bool ReadPages(SafeFileHandle file, IReadOnlyList<MemoryImageLayout> images, HashSet<long> read, int first)
    {
        const ulong page = 1UL << SaveFormat.PageShift;
        Span<byte> buffer = stackalloc byte[1];
        for (int r = first; r < _ranges.Count; r++)
        {
            var (gpa, length) = _ranges[r];
            if (length == 0 || gpa > ulong.MaxValue - length) continue;
            for (ulong at = gpa & ~(page - 1); at < gpa + length; at += page)
            {
                if (FileOffset(images, at) is not { } offset || !read.Add(offset)) continue;
                try
                {
                    // One byte brings the whole page into the page cache: the mapping's fault then needs no disk.
                    RandomAccess.Read(file, buffer, offset);
                }
                catch (IOException)
                {
                    read.Remove(offset);
                    return false;
                }
            }
        }
        return true;
    }

    /// <summary>Where guest page <paramref name="gpa"/> lies in the file, or null if no image maps it (outside every
    /// region, or in a zero chunk, which the restore leaves unmapped).</summary>
    internal static long? FileOffset(IReadOnlyList<MemoryImageLayout> images, ulong gpa)
    {
        foreach (var image in images)
        {
            var region = image.Region;
            if (gpa < region.Gpa || gpa - region.Gpa >= region.Size) continue;
            ulong offset = gpa - region.Gpa;
            int chunk = (int)(offset / (ulong)image.ChunkSize);
            if (chunk >= image.ChunkCount || image.IsZeroChunk(chunk)) return null;
            return image.ImageOffset + (long)offset;
        }
        return null;
    }
}
