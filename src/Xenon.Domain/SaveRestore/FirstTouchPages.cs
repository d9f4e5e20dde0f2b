using Microsoft.Win32.SafeHandles;
using Xenon.Devices.State;
using Xenon.Devices.Virtio.Pci;
using Xenon.Domain.Save;
using Xenon.Machine.Cpu;
using Xenon.Machine.State;

namespace Xenon.Domain.SaveRestore;

/// <summary>
/// The guest pages a restore touches before the guest runs, found in a saved file's state records: each vCPU's
/// kvmclock pages (written when its MSRs are restored) and every ready virtqueue's rings (read when the devices
/// restore and complete). The toolstack reads them from the file while it checks the records
/// (<see cref="SavedDomainReader.CheckRecords"/>), before any request is sent, so that the domain process's first
/// touch of them through its private file mapping finds them in the page cache instead of waiting for the disk inside
/// restore-to-running. Only these few pages are read: guest RAM stays lazily mapped.
/// </summary>
/// <remarks>A hint: a record that does not decode is left to the restore, which refuses it by name.</remarks>
internal sealed class FirstTouchPages
{
    private const string VirtioPciIdPrefix = "pci:virtio-";

    // Guest-physical byte ranges; a few per vCPU and per queue.
    private readonly List<(ulong Gpa, ulong Length)> _ranges = [];

    public int RangeCount => _ranges.Count;

    /// <summary>XENON_RESTORE_PREFETCH=0 turns the read off (for measuring).</summary>
    public static bool Enabled => Environment.GetEnvironmentVariable("XENON_RESTORE_PREFETCH") != "0";

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
        {
            if (queue is null || !queue.Ready || queue.Size == 0) continue;
            _ranges.Add((queue.DescriptorTable, 16UL * queue.Size));
            _ranges.Add((queue.AvailRing, 6UL + 2UL * queue.Size));
            _ranges.Add((queue.UsedRing, 6UL + 8UL * queue.Size));
        }
    }

    /// <summary>Reads each noted page that lies in a mapped (not all-zero) chunk of an image; returns how many pages
    /// were read. A failed read is not an error here (the restore reads the file again and reports it).</summary>
    public int ReadInto(SafeFileHandle file, IReadOnlyList<MemoryImageLayout> images)
    {
        const ulong page = 1UL << SaveFormat.PageShift;
        Span<byte> buffer = stackalloc byte[1];
        var read = new HashSet<long>();
        foreach (var (gpa, length) in _ranges)
        {
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
                    return read.Count - 1;
                }
            }
        }
        return read.Count;
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
