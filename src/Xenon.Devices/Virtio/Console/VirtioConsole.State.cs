using System.Buffers;
using Xenon.Devices.State;

namespace Xenon.Devices.Virtio.Console;

// Save, restore and quiescing. A port's half-written transmit chain is saved as its head and progress and walked
// again after the restore; announcements waiting for control buffers are saved as messages; host input the guest
// has not read is saved from the backend's buffer (IBufferedPortBackend).
public sealed partial class VirtioConsole
{
    private bool _quiesced;
    private VirtioConsoleState? _restored;

    public VirtioConsoleState GetState()
    {
        lock (_gate)
        {
            var ports = new VirtioConsolePortState[_ports.Length];
            for (int i = 0; i < ports.Length; i++)
            {
                var p = _ports[i];
                byte[] input = p.Backend is IBufferedPortBackend buffered ? buffered.PeekInput() : [];
                ports[i] = new VirtioConsolePortState(p.GuestReady, p.GuestOpen, p.HostOpenReported, p.TransmitPending,
                    p.TransmitPending ? p.TransmitChain.HeadIndex : (ushort)0, p.TransmitPending ? p.TransmitOffset : 0,
                    p.BytesToGuest, p.BytesFromGuest, p.BytesDropped, input);
            }
            return new VirtioConsoleState(_queues is not null, _needsReset, ports, _pendingControl.ToArray(), _pendingControl.Dropped,
                Interlocked.Read(ref _invalidControl));
        }
    }

    /// <summary>
    /// Takes a saved state: counters and unread host input at once, the driver session (port states, pending
    /// announcements, half-written transmit chains, needs-reset) when the transport activates the device.
    /// </summary>
    /// <exception cref="ArgumentException">The state is for another port layout or is inconsistent.</exception>
    public void SetState(VirtioConsoleState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(state.Ports);
        ArgumentNullException.ThrowIfNull(state.PendingControl);
        if (state.Ports.Length != _ports.Length)
            throw new ArgumentException($"field 'port count': the state has {state.Ports.Length} ports, this console {_ports.Length}", nameof(state));
        if (state.PendingControl.Length > _pendingControl.Capacity)
            throw new ArgumentException($"field 'pending control messages': {state.PendingControl.Length} is more than the {_pendingControl.Capacity} this console holds", nameof(state));
        if (state.DroppedControl < 0 || state.InvalidControl < 0)
            throw new ArgumentException("field 'dropped control messages': counts cannot be negative", nameof(state));
        foreach (var m in state.PendingControl) CheckAnnouncement(m);
        for (int i = 0; i < _ports.Length; i++)
        {
            var p = state.Ports[i] ?? throw new ArgumentException($"port {i}'s state is missing", nameof(state));
            ArgumentNullException.ThrowIfNull(p.PendingInput);
            if (p.BytesToGuest < 0 || p.BytesFromGuest < 0 || p.BytesDropped < 0)
                throw new ArgumentException($"field 'port bytes to guest': port {i} has a negative count", nameof(state));
            if (!p.TransmitPending && (p.TransmitHead != 0 || p.TransmitOffset != 0))
                throw new ArgumentException($"field 'port transmit head': port {i} has a transmit position but no transmit pending", nameof(state));
            if (p.TransmitHead >= _queueMaxSizes[_ports[i].TransmitQueue])
                throw new ArgumentException($"field 'port transmit head': port {i}'s head {p.TransmitHead} is outside its queue", nameof(state));
            if (!state.Active && (p.GuestReady || p.GuestOpen || p.HostOpenReported || p.TransmitPending))
                throw new ArgumentException($"field 'active': port {i} has driver state, but the driver had not started the device", nameof(state));
            if (p.PendingInput.Length > 0 && _ports[i].Backend is not IBufferedPortBackend)
                throw new ArgumentException($"field 'port pending input': port {i}'s backend cannot take back {p.PendingInput.Length} bytes of input", nameof(state));
        }
        if (!state.Active && (state.NeedsReset || state.PendingControl.Length > 0))
            throw new ArgumentException("field 'active': a device the driver had not started has no needs-reset or pending control messages", nameof(state));
        lock (_gate)
        {
            for (int i = 0; i < _ports.Length; i++)
            {
                var p = state.Ports[i];
                _ports[i].RestoreCounters(p.BytesToGuest, p.BytesFromGuest, p.BytesDropped);
                if (p.PendingInput.Length > 0 && !((IBufferedPortBackend)_ports[i].Backend).TryRestoreInput(p.PendingInput))
                    throw new ArgumentException($"field 'port pending input': port {i}'s {p.PendingInput.Length} bytes do not fit its backend's buffer", nameof(state));
            }
            Interlocked.Exchange(ref _invalidControl, state.InvalidControl);
            _pendingControl.Restore([], state.DroppedControl);
            _restored = state.Active ? state : null;
        }
    }

    /// <summary>The device's state as kind "virtio-console" (<see cref="VirtioConsoleStateCodec"/>). Call while quiesced.</summary>
    public int SaveState(IBufferWriter<byte> output) => VirtioConsoleStateCodec.Write(output, GetState());

    public void RestoreState(ReadOnlySpan<byte> state) =>
        StateApply.Apply(VirtioConsoleStateCodec.Kind, VirtioConsoleStateCodec.Read(state), SetState);

    /// <summary>Waits for the work in progress and holds kicks and backend wake-ups (backends keep buffering) until <see cref="Resume"/>.</summary>
    public void Quiesce()
    {
        lock (_gate) _quiesced = true;
    }

    /// <summary>Serves every queue and every backend once on the calling thread, and lets work through again.</summary>
    public void Resume()
    {
        lock (_gate)
        {
            if (!_quiesced) return;
            _quiesced = false;
        }
        for (int q = 0; q < _queueMaxSizes.Length; q++) QueueNotify(q);
        ServicePending();
    }

    /// <summary>Only what the device itself sends can be waiting: DEVICE_ADD, CONSOLE_PORT, PORT_NAME (for a named port), PORT_OPEN.</summary>
    private void CheckAnnouncement(ConsoleControlMessage m)
    {
        if (m.Id >= (uint)_ports.Length)
            throw new ArgumentException($"field 'control message id': port {m.Id} does not exist", nameof(m));
        bool valid = m.Event switch
        {
            ConsoleControlEvent.DeviceAdd or ConsoleControlEvent.ConsolePort => m.Value == 1,
            ConsoleControlEvent.PortOpen => m.Value <= 1,
            ConsoleControlEvent.PortName => m.Value == 0 && _ports[m.Id].NameBytes is not null,
            _ => false,
        };
        if (!valid)
            throw new ArgumentException($"field 'control message event': event {(ushort)m.Event} value {m.Value} for port {m.Id} is not an announcement this console sends", nameof(m));
    }

    /// <summary>
    /// Called by Activate (lock held, queues set) with a restored session. A half-written transmit chain that no
    /// longer walks, or that the driver does not have in flight, means the state and the rings disagree: the device
    /// then needs a reset, as for a broken ring.
    /// </summary>
    private void ResumeSession(VirtioConsoleState saved)
    {
        _needsReset = saved.NeedsReset;
        if (_needsReset) return;
        _pendingControl.Restore(saved.PendingControl, _pendingControl.Dropped);
        for (int i = 0; i < _ports.Length; i++)
        {
            var port = _ports[i];
            var p = saved.Ports[i];
            port.GuestReady = p.GuestReady;
            port.GuestOpen = p.GuestOpen;
            port.HostOpenReported = p.HostOpenReported;
            if (!p.TransmitPending) continue;
            var queue = _queues![port.TransmitQueue];
            string? why = RestoredChain.InFlight(queue) == 0
                ? "the driver has no chain in flight on it"
                : RestoredChain.TryWalk(_memory, queue, p.TransmitHead, port.TransmitChain);
            if (why is null && p.TransmitOffset > port.TransmitChain.ReadableBytes)
                why = $"{p.TransmitOffset} bytes already sent of a chain of {port.TransmitChain.ReadableBytes}";
            if (why is not null)
            {
                _pendingControl.Clear();
                foreach (var other in _ports) other.ResetDriverState();
                _needsReset = true;
                _interrupt!.SignalNeedsReset($"virtio-console queue {port.TransmitQueue}: restored state: {why}");
                return;
            }
            port.TransmitPending = true;
            port.TransmitOffset = p.TransmitOffset;
        }
    }
}
