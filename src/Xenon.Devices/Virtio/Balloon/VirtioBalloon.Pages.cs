using System.Buffers.Binary;
using Xenon.Devices.Virtio.Queue;

namespace Xenon.Devices.Virtio.Balloon;

// Inflate, deflate and free page reporting: guest page numbers and ranges become GuestMemory.Discard calls.
// Nothing here allocates or throws on guest input.
public sealed partial class VirtioBalloon
{
    /// <summary>PFNs taken from one request (Linux sends at most 256); the rest of a bigger buffer is ignored and counted.</summary>
    public const int MaxPfnsPerRequest = 4096;

    private const int PfnBytes = 4;
    private const int PfnBatch = 256;

    private bool ServePfns(int q, bool inflate)
    {
        bool completed = false;
        while (Pop(q, ref completed) is { } chain)
        {
            ProcessPfns(chain, inflate);
            _queues![q].AddUsed(chain.HeadIndex, 0);
            completed = true;
        }
        return completed;
    }

    /// <summary>
    /// Reads the chain's le32 PFNs. Inflation releases them, consecutive PFNs in one call; each PFN must name a
    /// 4 KiB page of guest RAM, others are counted and skipped. Deflation only updates the count.
    /// </summary>
    private void ProcessPfns(DescriptorChain chain, bool inflate)
    {
        ulong whole = chain.ReadableBytes / PfnBytes;
        if (chain.ReadableBytes % PfnBytes != 0) _invalidPfns++;
        if (whole > MaxPfnsPerRequest)
        {
            _invalidPfns += whole - MaxPfnsPerRequest;
            whole = MaxPfnsPerRequest;
        }
        Span<byte> batch = stackalloc byte[PfnBatch * PfnBytes];
        ulong runStart = 0, runLength = 0;
        for (ulong done = 0; done < whole;)
        {
            int want = (int)Math.Min((ulong)PfnBatch, whole - done) * PfnBytes;
            int got = chain.CopyFromReadable(batch[..want], done * PfnBytes) / PfnBytes;
            if (got == 0) break;
            for (int i = 0; i < got; i++)
            {
                ulong gpa = (ulong)BinaryPrimitives.ReadUInt32LittleEndian(batch[(i * PfnBytes)..]) << VirtioBalloonConfig.PfnShift;
                if (!_memory.IsValidRange(gpa, VirtioBalloonConfig.PageSize))
                {
                    _invalidPfns++;
                    continue;
                }
                if (!inflate)
                {
                    if (_inflatedPages > 0) _inflatedPages--;
                    continue;
                }
                // Extend the run only while it stays inside one RAM region, so one Discard covers it.
                if (runLength > 0 && gpa == runStart + runLength && _memory.IsValidRange(runStart, runLength + VirtioBalloonConfig.PageSize))
                {
                    runLength += VirtioBalloonConfig.PageSize;
                    continue;
                }
                ReleaseInflated(runStart, runLength);
                runStart = gpa;
                runLength = VirtioBalloonConfig.PageSize;
            }
            done += (ulong)got;
        }
        ReleaseInflated(runStart, runLength);
    }

    private void ReleaseInflated(ulong gpa, ulong length)
    {
        if (length == 0) return;
        ulong pages = length >> VirtioBalloonConfig.PfnShift;
        if (_memory.Discard(gpa, length)) _inflatedPages += pages;
        else _discardFailures += pages;
    }

    /// <summary>
    /// Free page reporting: every buffer of a chain is a range of free guest memory (Linux reports whole
    /// page blocks). Its whole pages are released; the chain goes back with length 0 once done.
    /// </summary>
    private bool ServeReports(int q)
    {
        bool completed = false;
        while (Pop(q, ref completed) is { } chain)
        {
            foreach (var segment in chain.Segments)
            {
                // Only whole 4 KiB pages inside the buffer; the walk already confined it to one RAM region.
                ulong start = (segment.Address + VirtioBalloonConfig.PageSize - 1) & ~(VirtioBalloonConfig.PageSize - 1);
                ulong end = (segment.Address + segment.Length) & ~(VirtioBalloonConfig.PageSize - 1);
                if (end <= start) continue;
                ulong pages = (end - start) >> VirtioBalloonConfig.PfnShift;
                if (_memory.Discard(start, end - start)) _reportedPages += pages;
                else _discardFailures += pages;
            }
            _queues![q].AddUsed(chain.HeadIndex, 0);
            completed = true;
        }
        return completed;
    }
}
