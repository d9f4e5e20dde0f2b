using Xenon.Devices.Virtio.Queue;

namespace Xenon.Devices.Virtio.Net;

// Receive: a frame is read from the backend into one host buffer, then copied into the driver's receive chains.
// The copy is deliberate: a frame's length is known only once read, and popped chains cannot be given back
// unused, so reading straight into guest buffers would strand the chains a short frame did not need.
// Chains are popped into a stash that outlives the frame: when the driver has too few buffers, the frame waits
// in the host buffer, the backend is no longer watched, and the next receive-queue kick carries on. Nothing is
// lost for lack of buffers; frames no buffer set can hold are dropped and counted.
public sealed partial class VirtioNet
{
    /// <summary>Frames delivered per call before yielding to the loop (which calls back while more are waiting):
    /// keeps a flood on receive from starving transmit kicks on the same thread.</summary>
    private const int ReceiveBudget = 64;

    // One byte longer than the largest accepted packet, so a full read means "too large" rather than "fits exactly".
    private readonly byte[] _rxPacket = new byte[MaxPacketBytes + 1];
    private readonly DescriptorChain?[] _rxStash;
    private int _rxPending;
    private int _stashCount;
    private ulong _stashBytes;

    private enum Gathered
    {
        Enough,
        NoBuffers,
        NeverEnough,
        Broken,
    }

    private void ProcessReceive()
    {
        var queue = _rxQueue!;
        var interrupt = _interrupt!;
        bool completed = false;
        bool wantBackend = true;
        int delivered = 0;
        // Refill kicks are wanted only while the device waits for buffers (Gather asks for them when the ring runs
        // dry, as QEMU does); otherwise the backend's readiness drives receive, and each kick would be a VM exit
        // for nothing on every refill the driver makes.
        if (queue.NotificationsEnabled) queue.DisableNotification();
        while (true)
        {
            if (_quiesced)
            {
                wantBackend = false;
                break;
            }
            if (_rxPending == 0)
            {
                if (delivered == ReceiveBudget) break;
                var status = _backend.Receive(_rxPacket, out int length);
                if (status == NetBackendStatus.Empty) break;
                if (status != NetBackendStatus.Done)
                {
                    // Errors do not clear by retrying (the tap went away, or is down): stop watching until the
                    // driver's next receive kick rather than spinning on a level-triggered error.
                    Counters.RxError();
                    wantBackend = false;
                    break;
                }
                if (!Accept(length)) continue;
                _rxPending = length;
            }

            var gathered = Gather(queue, ref completed, out int chains);
            if (gathered == Gathered.Enough)
            {
                if (Deliver(queue, chains)) delivered++;
                completed = true;
                continue;
            }
            if (gathered == Gathered.NeverEnough)
            {
                Counters.RxTooLarge();
                _rxPending = 0;
                continue;
            }
            // No buffers (wait for the driver's kick) or a broken ring (wait for its reset).
            wantBackend = false;
            if (gathered == Gathered.Broken) MarkNeedsReset(interrupt, "receive", queue.Fault);
            break;
        }
        SetReceiveInterest(wantBackend && !_needsReset);
        bool signal = completed && queue.NeedsNotification();
        if (signal) interrupt.SignalUsedBuffers(ReceiveQueue);
        Stats.RxWake(delivered, completed, signal);
    }

    /// <summary>Checks a frame just read into <see cref="_rxPacket"/>; false (counted) if it cannot be delivered.</summary>
    private bool Accept(int length)
    {
        if (length > MaxPacketBytes)
        {
            Counters.RxTooLarge();
            return false;
        }
        if (length < VirtioNetHeader.Size + VirtioNetHeader.EthernetHeaderSize
            || !VirtioNetHeader.TryNormaliseForReceive(_rxPacket.AsSpan(0, VirtioNetHeader.Size), _negotiated))
        {
            Counters.RxMalformed();
            return false;
        }
        return true;
    }

    /// <summary>Pops receive chains into the stash until they can hold the pending frame: one chain that holds it
    /// all, or with mergeable buffers as many as its length needs (<paramref name="chains"/>).</summary>
    private Gathered Gather(VirtQueue queue, ref bool completed, out int chains)
    {
        bool mergeable = (_negotiated & VirtioNetFeatures.MergeableRxBuffers) != 0;
        ulong needed = (ulong)_rxPending;
        chains = 0;
        while (true)
        {
            if (!mergeable && _stashCount > 0)
            {
                // Without mergeable buffers the frame goes into one chain; if the driver's chain is too small the
                // frame is dropped and the chain kept for the next (smaller) frame, as QEMU does.
                if (_rxStash[0]!.WritableBytes < needed) return Gathered.NeverEnough;
                chains = 1;
                return Gathered.Enough;
            }
            if (mergeable && _stashBytes >= needed)
            {
                ulong covered = 0;
                while (covered < needed) covered += _rxStash[chains++]!.WritableBytes;
                return Gathered.Enough;
            }
            // Every descriptor of the queue is already in the stash (each chain takes at least one): nothing the
            // driver can add will make room. The bound also keeps a driver that offers a head twice from
            // growing the stash past its array.
            if (_stashCount >= queue.Size || _stashCount >= _rxStash.Length) return Gathered.NeverEnough;

            var slot = _rxStash[_stashCount] ??= new DescriptorChain(); // allocates only while the stash first grows
            if (queue.TryPopAvailable(slot, out var fault))
            {
                // A chain that cannot hold the header (mergeable: every buffer must; otherwise the header and an
                // Ethernet header) is useless for any frame: give it back unused.
                ulong minimum = (ulong)(mergeable ? VirtioNetHeader.Size : VirtioNetHeader.Size + VirtioNetHeader.EthernetHeaderSize);
                if (slot.WritableBytes < minimum)
                {
                    queue.AddUsed(slot.HeadIndex, 0);
                    completed = true;
                    Counters.RxBadChain();
                    continue;
                }
                _stashCount++;
                _stashBytes += slot.WritableBytes;
                continue;
            }
            if (queue.TryFailRequest(fault))
            {
                completed = true;
                Counters.RxBadChain();
                continue;
            }
            if (fault.IsError) return Gathered.Broken;
            // Empty: ask for a kick, then look once more, since the driver may have added buffers without one.
            if (!queue.EnableNotification())
            {
                Stats.RxRingRanDry();
                return Gathered.NoBuffers;
            }
        }
    }

    /// <summary>Copies the pending frame into the first <paramref name="chains"/> stashed chains, header first with
    /// num_buffers set, and completes them in order (mergeable buffers must be consecutive in the used ring).</summary>
    private bool Deliver(VirtQueue queue, int chains)
    {
        int length = _rxPending;
        var packet = _rxPacket.AsSpan(0, length);
        VirtioNetHeader.SetNumBuffers(packet, (ushort)chains);
        int offset = 0;
        for (int i = 0; i < chains; i++)
        {
            var chain = _rxStash[i]!;
            int take = (int)Math.Min(chain.WritableBytes, (ulong)(length - offset));
            int written = chain.CopyToWritable(packet.Slice(offset, take));
            queue.AddUsed(chain.HeadIndex, (uint)written);
            offset += take;
        }
        RemoveFromStash(chains);
        _rxPending = 0;
        Counters.Received(length - VirtioNetHeader.Size);
        return true;
    }

    /// <summary>Drops the first <paramref name="count"/> stashed chains, keeping their objects for reuse.</summary>
    private void RemoveFromStash(int count)
    {
        for (int i = 0; i < count; i++) _stashBytes -= _rxStash[i]!.WritableBytes;
        for (int i = count; i < _stashCount; i++) (_rxStash[i - count], _rxStash[i]) = (_rxStash[i], _rxStash[i - count]);
        _stashCount -= count;
    }

    private void ClearReceiveState()
    {
        _rxPending = 0;
        _stashCount = 0;
        _stashBytes = 0;
    }
}
