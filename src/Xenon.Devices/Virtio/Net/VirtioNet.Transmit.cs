using Xenon.Devices.Virtio.Queue;
using Xenon.Machine.IoEvents;

namespace Xenon.Devices.Virtio.Net;

// Transmit: each chain is the header and one frame. The header is copied out and checked (the guest cannot
// change it between the check and the send); the frame goes to the backend as the chain's own guest segments,
// gathered by the backend in one write without a copy (with TransmitCompletesEarly: copied out, the chain completed,
// then the copy sent). Transmit chains are completed with length 0 (the device writes nothing into them), whether
// the frame was sent or dropped.
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

    /// <summary>
    /// QEMU's tx=timer: after a drain that found chains, transmit kicks stay off and the ring is looked at again this
    /// long later (0: off, the default; needs <see cref="AttachTo"/>). A driver that keeps sending then costs no kick
    /// (a VM exit) per frame, at the price of up to this much latency on its next frame. Set before the guest runs.
    /// </summary>
    public long TransmitPollNanoseconds { get; set; }

    /// <summary>
    /// Complete each transmit chain before its frame is sent: the frame is copied out of guest RAM first (one copy of up
    /// to <see cref="MaxPacketBytes"/>), the chain returned and the interrupt raised as the driver asks, then the copy
    /// is sent. The send into a tap runs the host's network stack inline, which on a busy host takes milliseconds;
    /// the guest's TCP small queues wait for completions, so that time no longer holds the next segments back.
    /// Off by default (the frame then goes to the backend straight from guest RAM). Set before the guest runs.
    /// </summary>
    public bool TransmitCompletesEarly
    {
        get => _txCopy is not null;
        set => _txCopy = value ? _txCopy ?? GC.AllocateArray<byte>(MaxPacketBytes, pinned: true) : null;
    }

    // The device's copy of one packet (header and frame) for TransmitCompletesEarly; null when off.
    private byte[]? _txCopy;

    private IoTimer? _txPollTimer;
    // Kicks are off and the poll timer is armed (TransmitPollNanoseconds).
    private bool _txPolling;

    private bool HoldingCompletions => TransmitCoalesceHoldsCompletions && TransmitCoalesceNanoseconds > 0 && _txTimer is not null;

    // NextUsed of the transmit queue at the last interrupt check and at the last interrupt sent (Stats only).
    private ushort _txCheckedUsed, _txSignalledUsed;

    /// <param name="wake">When the device began serving this kick or timer (<see cref="VirtioNetStats.Now"/>).</param>
    private void ProcessTransmit(long wake)
    {
        var queue = _txQueue!;
        var interrupt = _interrupt!;
        NoteLateInterruptWish(queue);
        int found = 0;
        _txPolling = false;
        while (true)
        {
            // No kicks while draining: the loop below finds what the driver adds meanwhile.
            queue.DisableNotification();
            Stats.TxPass();
            int before = found;
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
                found++;
                if (_txCopy is not null)
                {
                    // Early completion: the chain goes back (and the interrupt out, if the driver wants one) before
                    // the host's stack runs in the send, so the guest can free the buffer and queue more meanwhile.
                    int length = CopyOut(chain);
                    CompleteTransmit(queue, chain.HeadIndex);
                    Stats.TxUsed(wake, VirtioNetStats.Now());
                    SignalTransmitted(queue, interrupt, wake);
                    if (length > 0) SendCopy(length);
                    continue;
                }
                Transmit(chain);
                CompleteTransmit(queue, chain.HeadIndex);
                Stats.TxUsed(wake, VirtioNetStats.Now());
                completed = true;
            }
            if (completed) SignalTransmitted(queue, interrupt, wake);
            if (broken || _quiesced) break;
            if (found > before && TransmitPollNanoseconds > 0 && _txPollTimer is not null)
            {
                // Kicks stay off; the timer looks again (a kick the driver sends anyway is served as usual).
                _txPolling = true;
                _txPollTimer.Arm(TransmitPollNanoseconds);
                break;
            }
            if (!queue.EnableNotification()) break;
        }
        Stats.TxWake(found);
    }

    private void OnTransmitPollTimer()
    {
        lock (_lock)
        {
            // Quiesce, Reset and Detach clear the flag; Resume (or the restore's kick) serves the queue itself.
            if (!_txPolling) return;
            _txPolling = false;
            if (_txQueue is null || _needsReset || _quiesced) return;
            Stats.TxPollWake();
            ProcessTransmit(VirtioNetStats.Now());
        }
    }

    /// <summary>Counts (in <see cref="Stats"/>) a driver that moved used_event back over completions the device checked
    /// without interrupting: it must find them by polling, as Linux does after virtqueue_enable_cb_delayed.</summary>
    private void NoteLateInterruptWish(VirtQueue queue)
    {
        if (_txCheckedUsed == _txSignalledUsed || !queue.TryReadUsedEvent(out ushort usedEvent)) return;
        if (!SplitRingLayout.NeedEvent(usedEvent, _txCheckedUsed, _txSignalledUsed)) return;
        Stats.TxInterruptWantedLate();
        _txSignalledUsed = _txCheckedUsed;
    }

    /// <summary>Asks the queue whether the driver wants an interrupt now, interrupts if so, and counts it.</summary>
    private void SignalIfWanted(VirtQueue queue, IVirtioInterrupt interrupt, long wake)
    {
        bool wanted = queue.NeedsNotification();
        _txCheckedUsed = queue.NextUsed;
        if (wanted)
        {
            interrupt.SignalUsedBuffers(TransmitQueue);
            _txSignalledUsed = queue.NextUsed;
        }
        Stats.TxInterrupt(wanted, wake, wanted ? VirtioNetStats.Now() : 0);
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
    private void SignalTransmitted(VirtQueue queue, IVirtioInterrupt interrupt, long wake)
    {
        long delay = TransmitCoalesceNanoseconds;
        if (delay <= 0 || _txTimer is null)
        {
            SignalIfWanted(queue, interrupt, wake);
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
        SignalIfWanted(queue, interrupt, 0);
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

    /// <summary>Sends the chain's frame straight from guest RAM (the chain is completed after this returns).</summary>
    private void Transmit(DescriptorChain chain)
    {
        Span<byte> header = stackalloc byte[VirtioNetHeader.Size];
        if (!TryTakeHeader(chain, header, out ulong readable)) return;
        int count = FrameSegments(chain.Readable, VirtioNetHeader.Size);
        long start = VirtioNetStats.Now();
        var status = _backend.Send(header, _memory, _txSegments.AsSpan(0, count));
        CountSent(status, readable, IsGso(header), start);
    }

    /// <summary>For <see cref="TransmitCompletesEarly"/>: copies the chain's checked header and frame into the
    /// device's own buffer, so the chain can be completed before the frame is sent. Returns the packet's length, or 0
    /// when the chain carries nothing to send (counted).</summary>
    private int CopyOut(DescriptorChain chain)
    {
        var copy = _txCopy!;
        if (!TryTakeHeader(chain, copy.AsSpan(0, VirtioNetHeader.Size), out ulong readable)) return 0;
        int frame = (int)readable - VirtioNetHeader.Size;
        if (chain.CopyFromReadable(copy.AsSpan(VirtioNetHeader.Size, frame), VirtioNetHeader.Size) != frame)
        {
            Counters.TxMalformed();
            return 0;
        }
        return (int)readable;
    }

    /// <summary>Sends what <see cref="CopyOut"/> copied.</summary>
    private void SendCopy(int length)
    {
        var packet = _txCopy.AsSpan(0, length);
        long start = VirtioNetStats.Now();
        var status = _backend.SendPacket(packet);
        CountSent(status, (ulong)length, IsGso(packet), start);
    }

    /// <summary>Checks the chain's size and copies its header into <paramref name="header"/>, checked against what was
    /// negotiated (the guest cannot change it afterwards). False (counted) when the frame is not to be sent.</summary>
    private bool TryTakeHeader(DescriptorChain chain, Span<byte> header, out ulong readable)
    {
        readable = chain.ReadableBytes;
        if (readable < VirtioNetHeader.Size + VirtioNetHeader.EthernetHeaderSize)
        {
            Counters.TxMalformed();
            return false;
        }
        if (readable > MaxPacketBytes)
        {
            Counters.TxTooLarge();
            return false;
        }
        if (chain.CopyFromReadable(header) != header.Length || !VirtioNetHeader.TryNormaliseForTransmit(header, _negotiated))
        {
            Counters.TxMalformed();
            return false;
        }
        return true;
    }

    private static bool IsGso(ReadOnlySpan<byte> header) =>
        (header[VirtioNetHeader.GsoTypeOffset] & ~VirtioNetHeader.GsoEcn) != VirtioNetHeader.GsoNone;

    /// <summary>Counts a send that began at <paramref name="start"/> and has just returned, in both Stats and Counters.</summary>
    private void CountSent(NetBackendStatus status, ulong readable, bool gso, long start)
    {
        Stats.TxSent(readable - VirtioNetHeader.Size, gso, start, VirtioNetStats.Now());
        if (status == NetBackendStatus.Done) Counters.Sent(readable - VirtioNetHeader.Size);
        else Counters.TxError();
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
