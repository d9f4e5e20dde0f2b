using Xenon.Devices.Virtio.Queue;

namespace Xenon.Devices.Virtio.Net;

// Transmit: each chain is the header and one frame. The header is copied out and checked (the guest cannot
// change it between the check and the send); the frame goes to the backend as the chain's own guest segments,
// gathered by the backend in one write without a copy. Transmit chains are completed with length 0 (the device
// writes nothing into them), whether the frame was sent or dropped.
public sealed partial class VirtioNet
{
    private DescriptorSegment[] _txSegments = new DescriptorSegment[16];

    private void ProcessTransmit()
    {
        var queue = _txQueue!;
        var interrupt = _interrupt!;
        while (true)
        {
            // No kicks while draining: the loop below finds what the driver adds meanwhile.
            queue.DisableNotification();
            bool completed = false;
            bool broken = false;
            while (true)
            {
                if (!queue.TryPopAvailable(out var chain, out var fault))
                {
                    if (!fault.IsError) break;
                    if (fault.CanCompleteHead)
                    {
                        queue.AddUsed((ushort)fault.HeadIndex, 0);
                        completed = true;
                        Counters.TxBadChain();
                        continue;
                    }
                    MarkNeedsReset(interrupt, "transmit", fault);
                    broken = true;
                    break;
                }
                Transmit(chain);
                queue.AddUsed(chain.HeadIndex, 0);
                completed = true;
            }
            if (completed && queue.NeedsNotification()) interrupt.SignalUsedBuffers(TransmitQueue);
            if (broken || !queue.EnableNotification()) return;
        }
    }

    private void Transmit(DescriptorChain chain)
    {
        ulong readable = chain.ReadableBytes;
        if (readable < VirtioNetHeader.Size + VirtioNetHeader.EthernetHeaderSize)
        {
            Counters.TxMalformed();
            return;
        }
        if (readable > MaxPacketBytes)
        {
            Counters.TxTooLarge();
            return;
        }
        Span<byte> header = stackalloc byte[VirtioNetHeader.Size];
        if (chain.CopyFromReadable(header) != header.Length || !VirtioNetHeader.TryNormaliseForTransmit(header, _negotiated))
        {
            Counters.TxMalformed();
            return;
        }
        int count = FrameSegments(chain.Readable, VirtioNetHeader.Size);
        if (_backend.Send(header, _memory, _txSegments.AsSpan(0, count)) == NetBackendStatus.Done)
            Counters.Sent(readable - VirtioNetHeader.Size);
        else
            Counters.TxError();
    }

    /// <summary>Copies <paramref name="segments"/> minus their first <paramref name="skip"/> bytes into <see cref="_txSegments"/>.</summary>
    private int FrameSegments(ReadOnlySpan<DescriptorSegment> segments, ulong skip)
    {
        // Grows only for a chain longer than any before it (bounded by the queue's chain limits).
        if (_txSegments.Length < segments.Length) Array.Resize(ref _txSegments, segments.Length);
        int count = 0;
        foreach (var segment in segments)
        {
            if (skip >= segment.Length)
            {
                skip -= segment.Length;
                continue;
            }
            _txSegments[count++] = new DescriptorSegment(segment.Address + skip, segment.Length - (uint)skip);
            skip = 0;
        }
        return count;
    }
}
