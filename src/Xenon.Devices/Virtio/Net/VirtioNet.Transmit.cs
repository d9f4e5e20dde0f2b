using Xenon.Devices.Virtio.Queue;

namespace Xenon.Devices.Virtio.Net;

// Transmit: each chain is the header and one frame. The header is copied out and checked (the guest cannot
// change it between the check and the send); the frame goes to the backend as the chain's own guest segments,
// gathered by the backend in one write without a copy. Transmit chains are completed with length 0 (the device
// writes nothing into them), whether the frame was sent or dropped.
public sealed partial class VirtioNet
{
    private DescriptorSegment[] _txSegments = new DescriptorSegment[16];
    // Completed transmit heads not yet in the used ring (TransmitCoalesceHoldsCompletions); sized to the queue.
    private readonly ushort[] _txHeld;
    private int _txHeldCount;

    /// <summary>With a coalescing window (<see cref="TransmitCoalesceNanoseconds"/>), also hold the completed chains
    /// themselves, not only their interrupt: the used ring is written when the window ends. Frames still leave at
    /// once. See <see cref="SignalTransmitted"/> for why. Set before the guest runs.</summary>
    public bool TransmitCoalesceHoldsCompletions { get; set; }

    private bool HoldingCompletions => TransmitCoalesceHoldsCompletions && TransmitCoalesceNanoseconds > 0 && _txTimer is not null;

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
            // Between frames, a Quiesce waiting for the lock stops the loop: what is left is served on Resume.
            while (!_quiesced)
            {
                if (!queue.TryPopAvailable(out var chain, out var fault))
                {
                    if (!fault.IsError) break;
                    if (queue.TryFailRequest(fault))
                    {
                        completed = true;
                        Counters.TxBadChain();
                        continue;
                    }
                    MarkNeedsReset(interrupt, "transmit", fault);
                    broken = true;
                    break;
                }
                Transmit(chain);
                CompleteTransmit(queue, chain.HeadIndex);
                completed = true;
            }
            if (completed) SignalTransmitted(queue, interrupt);
            if (broken || _quiesced || !queue.EnableNotification()) return;
        }
    }

    /// <summary>
    /// Transmit-completion interrupt moderation (a NIC's tx-usecs): with <see cref="TransmitCoalesceNanoseconds"/>
    /// set and an I/O loop attached, the interrupt for completed transmit chains waits that long, so completions
    /// that follow meanwhile share it. The used ring itself is published at once (the driver reaps it on its next
    /// transmit too); only the interrupt waits. This matters because Linux's TCP keeps at most about two
    /// segments' worth of data in the device until their completion: completed within microseconds, each
    /// segment leaves as a single MSS frame, and the guest pays a kick and an interrupt for every 1.4 KiB;
    /// completed a little later, the next segment has gathered tens of KiB for one TSO frame.
    /// Receive interrupts are never delayed, so request/response latency does not change.
    /// Linux also reaps transmit completions from its receive poll (virtnet_poll_cleantx), so with acknowledgements
    /// flowing a delayed interrupt alone changes little; <see cref="TransmitCoalesceHoldsCompletions"/> holds the
    /// used-ring entries as well, which is what a NIC's completion write-back moderation looks like to a driver.
    /// </summary>
    private void SignalTransmitted(VirtQueue queue, IVirtioInterrupt interrupt)
    {
        long delay = TransmitCoalesceNanoseconds;
        if (delay <= 0 || _txTimer is null)
        {
            if (queue.NeedsNotification()) interrupt.SignalUsedBuffers(TransmitQueue);
            return;
        }
        if (_txSignalPending) return;
        _txSignalPending = true;
        _txTimer.Arm(delay);
    }

    private void OnTransmitTimer()
    {
        lock (_lock)
        {
            // Quiesce delivers a pending signal itself; none can be added while quiesced.
            if (!_txSignalPending || _quiesced) return;
            EndTransmitWindow();
        }
    }

    /// <summary>Ends a coalescing window (lock held): publishes held completions, then interrupts if the driver
    /// wants it. Whether it does is decided now, over every chain completed in the window.</summary>
    private void EndTransmitWindow()
    {
        _txSignalPending = false;
        if (_txQueue is not { } queue || _interrupt is not { } interrupt || _needsReset)
        {
            _txHeldCount = 0;
            return;
        }
        ReleaseHeldTransmits(queue);
        if (queue.NeedsNotification()) interrupt.SignalUsedBuffers(TransmitQueue);
    }

    private void CompleteTransmit(VirtQueue queue, ushort head)
    {
        if (HoldingCompletions)
        {
            // A NIC's tx-frames besides its tx-usecs: half the ring held is published at once, so a flood of small
            // frames is never short of descriptors for a whole window (TCP, held back by its small queues, never
            // gets near it). The array bound also covers a driver that offers a head twice.
            int limit = Math.Min(_txHeld.Length, Math.Max(1, queue.Size / 2));
            if (_txHeldCount < limit)
            {
                _txHeld[_txHeldCount++] = head;
                return;
            }
            ReleaseHeldTransmits(queue);
        }
        queue.AddUsed(head, 0);
    }

    private void ReleaseHeldTransmits(VirtQueue queue)
    {
        for (int i = 0; i < _txHeldCount; i++) queue.AddUsed(_txHeld[i], 0);
        _txHeldCount = 0;
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
