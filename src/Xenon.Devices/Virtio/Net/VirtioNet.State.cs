using System.Buffers;
using Xenon.Devices.State;
using Xenon.Devices.Virtio.Queue;

namespace Xenon.Devices.Virtio.Net;

// Save, restore and quiescing (see VirtioNetState for what a half-finished receive keeps).
public sealed partial class VirtioNet
{
    // Written by Quiesce/Resume outside the lock too, so that the I/O thread's loops see it between frames.
    private volatile bool _quiesced;
    private VirtioNetState? _restored;

    public VirtioNetState GetState()
    {
        lock (_lock)
        {
            var heads = new ushort[_stashCount];
            for (int i = 0; i < heads.Length; i++) heads[i] = _rxStash[i]!.HeadIndex;
            return new VirtioNetState(Mac.GetAddressBytes(), Mtu, LinkStatus, _rxQueue is not null, _needsReset,
                _rxPacket.AsSpan(0, _rxPending).ToArray(), heads, Counters.Snapshot());
        }
    }

    /// <summary>
    /// Takes a saved state: the counters at once, the driver session (pending frame, stashed receive chains,
    /// needs-reset) when the transport activates the device with its restored queues.
    /// </summary>
    /// <exception cref="ArgumentException">The state belongs to another NIC or is inconsistent.</exception>
    public void SetState(VirtioNetState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(state.Mac);
        ArgumentNullException.ThrowIfNull(state.PendingFrame);
        ArgumentNullException.ThrowIfNull(state.StashedHeads);
        ArgumentNullException.ThrowIfNull(state.Counters);
        if (!state.Mac.AsSpan().SequenceEqual(Mac.GetAddressBytes()))
            throw new ArgumentException($"field 'mac': the state was saved for MAC {Convert.ToHexString(state.Mac)}, this NIC is {Mac}", nameof(state));
        if (state.Mtu != Mtu)
            throw new ArgumentException($"field 'mtu': the state was saved with MTU {state.Mtu}, this NIC has {Mtu}", nameof(state));
        if (state.LinkStatus != LinkStatus)
            throw new ArgumentException($"field 'link status': 0x{state.LinkStatus:x} is not this NIC's 0x{LinkStatus:x}", nameof(state));
        int frame = state.PendingFrame.Length;
        if (frame != 0 && (frame < VirtioNetHeader.Size + VirtioNetHeader.EthernetHeaderSize || frame > MaxPacketBytes))
            throw new ArgumentException($"field 'pending frame': {frame} bytes is not a frame this device would have kept", nameof(state));
        var heads = state.StashedHeads;
        ushort maxSize = _queueMaxSizes[ReceiveQueue];
        if (heads.Length > maxSize)
            throw new ArgumentException($"field 'stashed receive chains': {heads.Length} is more than the receive queue's {maxSize} entries", nameof(state));
        var seen = new HashSet<ushort>();
        foreach (ushort head in heads)
        {
            if (head >= maxSize)
                throw new ArgumentException($"field 'stashed receive chain head': {head} is outside the receive queue's {maxSize} entries", nameof(state));
            if (!seen.Add(head))
                throw new ArgumentException($"field 'stashed receive chain head': {head} is held twice", nameof(state));
        }
        if (!state.Active && (state.NeedsReset || frame != 0 || heads.Length != 0))
            throw new ArgumentException("field 'active': a device the driver had not started holds no frame, chain or needs-reset", nameof(state));
        if (state.Counters.Length != VirtioNetCounters.Count)
            throw new ArgumentException($"field 'counter': {state.Counters.Length} counters, not {VirtioNetCounters.Count}", nameof(state));
        foreach (long value in state.Counters)
            if (value < 0) throw new ArgumentException($"field 'counter': {value} is not a count", nameof(state));
        lock (_lock)
        {
            Counters.Restore(state.Counters);
            _restored = state.Active ? state : null;
        }
    }

    /// <summary>The device's state as kind "virtio-net" (<see cref="VirtioNetStateCodec"/>). Call while quiesced.</summary>
    public int SaveState(IBufferWriter<byte> output) => VirtioNetStateCodec.Write(output, GetState());

    public void RestoreState(ReadOnlySpan<byte> state) =>
        StateApply.Apply(VirtioNetStateCodec.Kind, VirtioNetStateCodec.Read(state), SetState);

    /// <summary>
    /// Stops receive (the backend is no longer watched; frames wait in the tap), waits for the frame in progress,
    /// holds kicks until <see cref="Resume"/>, and publishes the transmit completions and interrupt the coalescing
    /// window still held (so the state saved has none pending).
    /// </summary>
    public void Quiesce()
    {
        _quiesced = true;
        lock (_lock)
        {
            SetReceiveInterest(false);
            // Held completions go into the used ring now, so the saved rings hold every finished chain.
            if (_txSignalPending || _txHeldCount > 0) EndTransmitWindow();
            // A pending poll is dropped: Resume serves the queue, and a restored device gets a kick per queue.
            _txPolling = false;
        }
    }

    /// <summary>Serves both queues once on the calling thread (which also watches the backend again) and lets kicks through.</summary>
    public void Resume()
    {
        lock (_lock)
        {
            if (!_quiesced) return;
            _quiesced = false;
            if (_rxQueue is null || _needsReset) return;
            ProcessTransmit(VirtioNetStats.Now());
            ProcessReceive();
        }
    }

    private ushort LinkStatus => (ushort)(_config[VirtioNetConfig.StatusOffset] | _config[VirtioNetConfig.StatusOffset + 1] << 8);

    /// <summary>
    /// Called by Activate (lock held, queues set) with a restored session: walks the stashed receive chains again and
    /// puts the pending frame back. A chain that no longer walks, or more chains than the driver has in flight, means
    /// the state and the guest's rings disagree: the device then needs a reset, as for any broken ring.
    /// </summary>
    private void ResumeSession(VirtioNetState saved)
    {
        var queue = _rxQueue!;
        _needsReset = saved.NeedsReset;
        if (_needsReset)
        {
            SetReceiveInterest(false);
            return;
        }
        bool mergeable = (_negotiated & VirtioNetFeatures.MergeableRxBuffers) != 0;
        ulong minimum = (ulong)(mergeable ? VirtioNetHeader.Size : VirtioNetHeader.Size + VirtioNetHeader.EthernetHeaderSize);
        var heads = saved.StashedHeads;
        string? why = null;
        if (heads.Length > RestoredChain.InFlight(queue))
            why = $"{heads.Length} receive chains held, but the driver has only {RestoredChain.InFlight(queue)} in flight";
        else if (!mergeable && heads.Length > 1)
            why = $"{heads.Length} receive chains held without mergeable receive buffers";
        for (int i = 0; why is null && i < heads.Length; i++)
        {
            var slot = _rxStash[i] ??= new DescriptorChain();
            why = RestoredChain.TryWalk(_memory, queue, heads[i], slot);
            if (why is null && slot.WritableBytes < minimum) why = $"chain at head {heads[i]} cannot hold a header";
            if (why is not null) break;
            _stashCount++;
            _stashBytes += slot.WritableBytes;
        }
        if (why is not null)
        {
            ClearReceiveState();
            _needsReset = true;
            SetReceiveInterest(false);
            _interrupt!.SignalNeedsReset($"virtio-net receive queue: restored state: {why}");
            return;
        }
        var frame = saved.PendingFrame;
        if (frame.Length == 0) return;
        frame.CopyTo(_rxPacket, 0);
        // The frame was checked against the same features before the save; a state that says otherwise loses only it.
        if (VirtioNetHeader.TryNormaliseForReceive(_rxPacket.AsSpan(0, VirtioNetHeader.Size), _negotiated)) _rxPending = frame.Length;
        else Counters.RxMalformed();
    }
}
