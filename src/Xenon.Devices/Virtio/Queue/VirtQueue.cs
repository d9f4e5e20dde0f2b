using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Virtio.Queue;

/// <summary>
/// The device side of one virtio 1.x split virtqueue. It knows guest memory and nothing else:
/// the transport (PCI, MMIO) writes the configuration and enables it, a device pops chains,
/// completes them with <see cref="AddUsed"/>, and asks <see cref="NeedsNotification"/> whether
/// to interrupt the driver. Not thread-safe: one device thread owns a queue.
/// </summary>
/// <remarks>
/// Every ring access goes through <see cref="GuestMemory"/>. A malformed ring yields a
/// <see cref="QueueFault"/>, never an exception: chain-level faults name the head (fail that
/// request), ring-level faults leave the queue broken until <see cref="Reset"/> (set DEVICE_NEEDS_RESET).
/// </remarks>
public sealed class VirtQueue
{
    private readonly GuestMemory _memory;
    private readonly QueueLimits _limits;
    private readonly DescriptorChain _chain = new();

    private ushort _size;
    private ulong _descriptorTable;
    private ulong _availRing;
    private ulong _usedRing;
    private bool _eventIdx;
    private bool _indirect;
    private ushort _signalledUsed;
    private bool _signalledUsedValid;

    public VirtQueue(GuestMemory memory, ushort maxSize, QueueLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(memory);
        if (!SplitRingLayout.IsValidSize(maxSize))
            throw new ArgumentOutOfRangeException(nameof(maxSize), $"queue size {maxSize} is not a power of two in 1..{SplitRingLayout.MaxQueueSize}");
        limits ??= QueueLimits.Default;
        // 65536 entries is already a 1 MiB table; beyond it the table length would not fit an int span.
        if (limits.MaxIndirectDescriptors is < 1 or > 65536)
            throw new ArgumentOutOfRangeException(nameof(limits), "MaxIndirectDescriptors must be in 1..65536");
        if (limits.MaxChainBytes == 0)
            throw new ArgumentOutOfRangeException(nameof(limits), "MaxChainBytes must be positive");
        _memory = memory;
        _limits = limits;
        MaxSize = maxSize;
        _size = maxSize;
    }

    /// <summary>The largest size the device offers (the transport's queue_size before the driver writes it).</summary>
    public ushort MaxSize { get; }

    public QueueLimits Limits => _limits;

    public bool Ready { get; private set; }

    /// <summary>Index in the avail ring of the next chain to pop (free-running, wraps at 2^16).</summary>
    public ushort NextAvail { get; private set; }

    /// <summary>Index in the used ring of the next completion (free-running, wraps at 2^16).</summary>
    public ushort NextUsed { get; private set; }

    /// <summary>Whether the device currently asks for kicks (see <see cref="EnableNotification"/>).</summary>
    public bool NotificationsEnabled { get; private set; } = true;

    /// <summary>The ring-level fault that stopped this queue, or <see cref="QueueFault.None"/>.</summary>
    public QueueFault Fault { get; private set; }

    public bool IsBroken => Fault.IsError;

    public ushort Size { get => _size; set => _size = Configurable(value); }
    public ulong DescriptorTable { get => _descriptorTable; set => _descriptorTable = Configurable(value); }
    public ulong AvailRing { get => _availRing; set => _availRing = Configurable(value); }
    public ulong UsedRing { get => _usedRing; set => _usedRing = Configurable(value); }

    /// <summary>VIRTIO_F_EVENT_IDX was negotiated.</summary>
    public bool EventIdx { get => _eventIdx; set => _eventIdx = Configurable(value); }

    /// <summary>VIRTIO_F_INDIRECT_DESC was negotiated.</summary>
    public bool IndirectDescriptors { get => _indirect; set => _indirect = Configurable(value); }

    /// <summary>
    /// The driver enabled the queue: checks size, alignment and that the three ring areas lie in
    /// guest RAM. On failure the queue stays disabled and the transport should set DEVICE_NEEDS_RESET.
    /// </summary>
    public bool TryEnable(out QueueFault fault)
    {
        fault = Validate();
        if (fault.IsError) return false;
        Ready = true;
        Fault = QueueFault.None;
        return true;
    }

    /// <summary>Back to the state after device reset: disabled, default size, zero addresses and indices.</summary>
    public void Reset()
    {
        Ready = false;
        _size = MaxSize;
        _descriptorTable = _availRing = _usedRing = 0;
        _eventIdx = _indirect = false;
        NextAvail = NextUsed = 0;
        NotificationsEnabled = true;
        _signalledUsed = 0;
        _signalledUsedValid = false;
        Fault = QueueFault.None;
    }

    /// <summary>True if the driver has offered chains not yet popped (false when disabled or broken).</summary>
    public bool HasAvailable()
    {
        if (!Ready || IsBroken || !TryAvail(out var avail)) return false;
        return RingAccess.ReadAcquire(avail, 2) != NextAvail;
    }

    /// <summary>
    /// Pops the next chain into the queue's own reusable <see cref="DescriptorChain"/> (valid until the next pop).
    /// False with <paramref name="fault"/> None means nothing is available.
    /// </summary>
    public bool TryPopAvailable([NotNullWhen(true)] out DescriptorChain? chain, out QueueFault fault)
    {
        if (TryPopAvailable(_chain, out fault))
        {
            chain = _chain;
            return true;
        }
        chain = null;
        return false;
    }

    /// <summary>Pops the next chain into a caller-owned chain (for devices with several requests in flight).</summary>
    public bool TryPopAvailable(DescriptorChain into, out QueueFault fault)
    {
        ArgumentNullException.ThrowIfNull(into);
        fault = Fault;
        if (!Ready || IsBroken) return false;
        if (!TryAvail(out var avail) || !_memory.TryGetSpan(_descriptorTable, (int)SplitRingLayout.DescriptorTableBytes(_size), out var table))
            return Break(QueueError.RingOutsideMemory, _availRing, out fault);

        // Acquire: the ring entry and the descriptors it names are read only after the index that published them.
        ushort availIdx = RingAccess.ReadAcquire(avail, 2);
        ushort pending = (ushort)(availIdx - NextAvail);
        if (pending == 0) return false;
        if (pending > _size) return Break(QueueError.AvailIndexTooFarAhead, pending, out fault);

        ushort head = RingAccess.Read16(avail, SplitRingLayout.RingHeaderSize + 2 * (NextAvail & (_size - 1)));
        NextAvail++;
        if (_eventIdx && NotificationsEnabled) WriteAvailEvent(NextAvail);
        if (head >= _size) return Break(QueueError.HeadIndexOutOfRange, head, out fault);

        var error = ChainWalker.Walk(_memory, table, _size, head, _indirect, _limits, into, out ulong detail);
        if (error == QueueError.None) return true;
        fault = new QueueFault(error, head, detail);
        return false;
    }

    /// <summary>
    /// After a failed pop: when the fault concerns one request only, returns its head to the driver with nothing
    /// written (the request fails, the queue stays usable) and says true. False means the ring itself is broken and
    /// the device must set DEVICE_NEEDS_RESET; the message for that is the fault's <see cref="QueueFault.Describe"/>.
    /// </summary>
    public bool TryFailRequest(in QueueFault fault)
    {
        if (!fault.CanCompleteHead) return false;
        AddUsed((ushort)fault.HeadIndex, 0);
        return true;
    }

    /// <summary>
    /// Returns a chain to the driver: writes the used element (head, bytes written) and publishes
    /// used.idx with release ordering. False if the queue is disabled or its used ring is unreachable.
    /// </summary>
    public bool AddUsed(ushort headIndex, uint writtenLength)
    {
        if (!Ready) return false;
        // A head the device never popped is a device-model bug, not guest input.
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(headIndex, _size);
        if (!TryUsed(out var used)) return false;
        var element = used.Slice(SplitRingLayout.RingHeaderSize + SplitRingLayout.UsedElementSize * (NextUsed & (_size - 1)), SplitRingLayout.UsedElementSize);
        BinaryPrimitives.WriteUInt32LittleEndian(element, headIndex);
        BinaryPrimitives.WriteUInt32LittleEndian(element[4..], writtenLength);
        NextUsed++;
        // Release: the driver must see the element before the index that covers it.
        RingAccess.WriteRelease(used, 2, NextUsed);
        NotifyUsedRingWritten();
        return true;
    }

    /// <summary>
    /// Whether the driver wants an interrupt for the completions published since the last call.
    /// With EVENT_IDX: the spec's vring_need_event on used_event; otherwise the avail ring's
    /// NO_INTERRUPT flag. Call once after a batch of <see cref="AddUsed"/>.
    /// </summary>
    public bool NeedsNotification()
    {
        if (!Ready || !TryAvail(out var avail)) return false;
        // Full fence: the used.idx store must be visible before the driver's suppression field is read,
        // or both sides can decide the other will act and the driver sleeps forever.
        Interlocked.MemoryBarrier();
        if (!_eventIdx)
            return (RingAccess.Read16(avail, 0) & SplitRingLayout.AvailFlagNoInterrupt) == 0;

        ushort usedEvent = RingAccess.Read16(avail, SplitRingLayout.RingHeaderSize + 2 * _size);
        ushort old = _signalledUsed;
        bool valid = _signalledUsedValid;
        _signalledUsed = NextUsed;
        _signalledUsedValid = true;
        return !valid || SplitRingLayout.NeedEvent(usedEvent, NextUsed, old);
    }

    /// <summary>
    /// Reads the driver's used_event (EVENT_IDX) without changing what <see cref="NeedsNotification"/> remembers: for
    /// diagnostics, e.g. whether the driver moved it back over completions already checked. False when the queue is
    /// not ready, EVENT_IDX was not negotiated or the ring is unreachable.
    /// </summary>
    public bool TryReadUsedEvent(out ushort usedEvent)
    {
        usedEvent = 0;
        if (!Ready || !_eventIdx || !TryAvail(out var avail)) return false;
        usedEvent = RingAccess.Read16(avail, SplitRingLayout.RingHeaderSize + 2 * _size);
        return true;
    }

    /// <summary>Asks the driver not to kick (used.flags NO_NOTIFY; with EVENT_IDX avail_event simply stops advancing).</summary>
    public void DisableNotification()
    {
        NotificationsEnabled = false;
        if (!Ready || _eventIdx || !TryUsed(out var used)) return;
        RingAccess.Write16(used, 0, SplitRingLayout.UsedFlagNoNotify);
        NotifyUsedRingWritten();
    }

    /// <summary>
    /// Asks the driver to kick again, then re-reads avail.idx. Returns true if chains arrived
    /// meanwhile: the device must pop them, since the driver may have skipped the kick.
    /// </summary>
    public bool EnableNotification()
    {
        NotificationsEnabled = true;
        if (!Ready || IsBroken) return false;
        if (_eventIdx) WriteAvailEvent(NextAvail);
        else if (TryUsed(out var used))
        {
            RingAccess.Write16(used, 0, 0);
            NotifyUsedRingWritten();
        }
        // Full fence: publish the request for kicks before looking for work the driver added without one.
        Interlocked.MemoryBarrier();
        return HasAvailable();
    }

    public VirtQueueState GetState() => new(
        _size, Ready, _descriptorTable, _availRing, _usedRing, NextAvail, NextUsed,
        _eventIdx, _indirect, NotificationsEnabled, _signalledUsedValid ? _signalledUsed : null);

    /// <summary>Restores a saved state. A ready state is validated like <see cref="TryEnable"/>; invalid input throws.</summary>
    public void SetState(VirtQueueState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Reset();
        if (state.Size > MaxSize || !SplitRingLayout.IsValidSize(state.Size))
            throw new ArgumentException($"saved queue size {state.Size} is invalid for a queue of at most {MaxSize}", nameof(state));
        _size = state.Size;
        _descriptorTable = state.DescriptorTable;
        _availRing = state.AvailRing;
        _usedRing = state.UsedRing;
        _eventIdx = state.EventIdx;
        _indirect = state.IndirectDescriptors;
        NextAvail = state.NextAvail;
        NextUsed = state.NextUsed;
        NotificationsEnabled = state.NotificationsEnabled;
        _signalledUsedValid = state.SignalledUsed.HasValue;
        _signalledUsed = state.SignalledUsed.GetValueOrDefault();
        if (state.Ready && !TryEnable(out var fault))
        {
            Reset();
            throw new ArgumentException($"saved queue cannot be enabled: {fault.Describe()}", nameof(state));
        }
    }

    private QueueFault Validate()
    {
        if (_size > MaxSize || !SplitRingLayout.IsValidSize(_size))
            return new QueueFault(QueueError.InvalidSize, -1, _size);
        if (_descriptorTable % SplitRingLayout.DescriptorTableAlignment != 0)
            return new QueueFault(QueueError.MisalignedRing, -1, _descriptorTable);
        if (_availRing % SplitRingLayout.AvailRingAlignment != 0)
            return new QueueFault(QueueError.MisalignedRing, -1, _availRing);
        if (_usedRing % SplitRingLayout.UsedRingAlignment != 0)
            return new QueueFault(QueueError.MisalignedRing, -1, _usedRing);
        if (!_memory.IsValidRange(_descriptorTable, SplitRingLayout.DescriptorTableBytes(_size)))
            return new QueueFault(QueueError.RingOutsideMemory, -1, _descriptorTable);
        if (!_memory.IsValidRange(_availRing, SplitRingLayout.AvailRingBytes(_size)))
            return new QueueFault(QueueError.RingOutsideMemory, -1, _availRing);
        if (!_memory.IsValidRange(_usedRing, SplitRingLayout.UsedRingBytes(_size)))
            return new QueueFault(QueueError.RingOutsideMemory, -1, _usedRing);
        return QueueFault.None;
    }

    private bool TryAvail(out Span<byte> avail) => _memory.TryGetSpan(_availRing, (int)SplitRingLayout.AvailRingBytes(_size), out avail);

    private bool TryUsed(out Span<byte> used) => _memory.TryGetSpan(_usedRing, (int)SplitRingLayout.UsedRingBytes(_size), out used);

    private void WriteAvailEvent(ushort value)
    {
        if (!TryUsed(out var used)) return;
        RingAccess.Write16(used, SplitRingLayout.RingHeaderSize + SplitRingLayout.UsedElementSize * _size, value);
        NotifyUsedRingWritten();
    }

    // The used ring is device-written guest RAM like any buffer (see GuestMemory.NotifyWritten); a few pages at most.
    private void NotifyUsedRingWritten() => _memory.NotifyWritten(_usedRing, (int)SplitRingLayout.UsedRingBytes(_size));

    private bool Break(QueueError error, ulong detail, out QueueFault fault)
    {
        fault = new QueueFault(error, -1, detail);
        Fault = fault;
        return false;
    }

    private T Configurable<T>(T value)
    {
        // The spec forbids the driver to change a live queue; the transport must check Ready and ignore such writes.
        if (Ready) throw new InvalidOperationException("virtqueue configuration cannot change while the queue is enabled");
        return value;
    }
}
