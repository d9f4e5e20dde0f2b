using System.Text;
using Xenon.Devices.State;
using Xenon.Devices.Virtio.Queue;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Virtio.Block;

/// <summary>
/// A virtio block device (device type 2) over an <see cref="IBlockBackend"/>: one request queue,
/// requests served synchronously on the device I/O thread, data moved directly between guest
/// RAM and the backend. Request parsing and execution live in VirtioBlock.Requests.cs.
/// </summary>
/// <remarks>
/// Guest input never throws: malformed requests complete with VIRTIO_BLK_S_IOERR/UNSUPP (or
/// used length 0 when there is no status byte to write), chain faults complete the head with
/// length 0, and ring faults set DEVICE_NEEDS_RESET once until the driver resets the device.
/// </remarks>
public sealed partial class VirtioBlock : IVirtioDevice, IStateful, IQuiescable
{
    public const ushort DefaultQueueSize = 256;

    /// <summary>Write-zeroes is done synchronously by writing zero blocks, so one request is capped (32 MiB).</summary>
    public const uint MaxWriteZeroesSectors = 1u << 16;

    /// <summary>Discard costs nothing here (see <see cref="RawFileBackend"/>); the cap only bounds a request's range.</summary>
    public const uint MaxDiscardSectors = 1u << 22;

    // Serialises the I/O thread's request loop with Quiesce/Resume and save/restore (the transport's lock covers
    // only calls that come through it).
    private readonly object _gate = new();
    private readonly GuestMemory _memory;
    private readonly IBlockBackend _backend;
    private readonly byte[] _id = new byte[BlockRequestLayout.IdBytes];
    private readonly byte[] _config = new byte[VirtioBlockConfig.Size];
    private readonly ushort[] _queueMaxSizes;

    private ulong _negotiated;
    private IReadOnlyList<VirtQueue>? _queues;
    private IVirtioInterrupt? _interrupt;
    private bool _needsReset;

    /// <param name="memory">Guest RAM the request buffers point into (the same memory the queues use).</param>
    /// <param name="backend">The disk; the device does not own it (the caller disposes it).</param>
    /// <param name="serial">Answer to GET_ID: ASCII, truncated to 20 bytes, NUL-padded.</param>
    /// <param name="queueSize">Maximum size of the request queue; seg_max is derived from it.</param>
    public VirtioBlock(GuestMemory memory, IBlockBackend backend, string serial = "", ushort queueSize = DefaultQueueSize)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(serial);
        if (queueSize < 4 || !SplitRingLayout.IsValidSize(queueSize))
            throw new ArgumentOutOfRangeException(nameof(queueSize), $"queue size {queueSize} is not a power of two in 4..{SplitRingLayout.MaxQueueSize}");
        _memory = memory;
        _backend = backend;
        _queueMaxSizes = [queueSize];
        Encoding.ASCII.GetBytes(serial.AsSpan(0, Math.Min(serial.Length, BlockRequestLayout.IdBytes)), _id);

        bool writable = !backend.IsReadOnly;
        DeviceFeatures = VirtioBlockFeatures.SegMax | VirtioBlockFeatures.BlkSize | VirtioBlockFeatures.Flush
            | VirtioBlockFeatures.RingIndirectDesc | VirtioBlockFeatures.RingEventIdx
            | (writable ? VirtioBlockFeatures.Discard | VirtioBlockFeatures.WriteZeroes : VirtioBlockFeatures.ReadOnly);
        Config = new VirtioBlockConfig(
            CapacitySectors: backend.SizeBytes >> BlockRequestLayout.SectorShift,
            // As QEMU: a request needs the header and status descriptors besides its data segments.
            SegMax: (uint)queueSize - 2,
            BlockSize: BlockRequestLayout.SectorSize,
            MaxDiscardSectors: MaxDiscardSectors,
            MaxDiscardSegments: 1,
            DiscardSectorAlignment: 1,
            MaxWriteZeroesSectors: MaxWriteZeroesSectors,
            MaxWriteZeroesSegments: 1,
            WriteZeroesMayUnmap: false);
        Config.Encode(_config);
    }

    public ushort DeviceType => 2;

    public ulong DeviceFeatures { get; }

    public IReadOnlyList<ushort> QueueMaxSizes => _queueMaxSizes;

    public VirtioBlockConfig Config { get; }

    /// <summary>The serial GET_ID returns (20 bytes, NUL-padded).</summary>
    public ReadOnlySpan<byte> Id => _id;

    public bool IsActive => _queues is not null;

    /// <summary>Requests and sectors served (xentop's VBD_RD/WR/RSECT/WSECT).</summary>
    public VirtioBlockCounters Counters { get; } = new();

    public void ReadConfig(int offset, Span<byte> data)
    {
        VirtioConfigSpace.Read(_config, offset, data);
    }

    // Nothing in the config space is writable without VIRTIO_BLK_F_CONFIG_WCE, which is not offered.
    public void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
    }

    public void Activate(ulong features, IReadOnlyList<VirtQueue> queues, IVirtioInterrupt interrupt)
    {
        ArgumentNullException.ThrowIfNull(queues);
        ArgumentNullException.ThrowIfNull(interrupt);
        if (queues.Count != _queueMaxSizes.Length)
            throw new ArgumentException($"virtio-blk has {_queueMaxSizes.Length} queue(s), the transport passed {queues.Count}", nameof(queues));
        lock (_gate)
        {
            _negotiated = features & DeviceFeatures;
            _interrupt = interrupt;
            // A restored session continues as it was saved: a device that had found its ring broken stays stopped.
            _needsReset = _restored is { NeedsReset: true };
            _restored = null;
            _queues = queues;
        }
    }

    public void QueueNotify(int queueIndex)
    {
        lock (_gate)
        {
            // Held back while quiesced; Resume serves the queue.
            if (!_quiesced) ServeQueue(queueIndex);
        }
    }

    private void ServeQueue(int queueIndex)
    {
        var queues = _queues;
        var interrupt = _interrupt;
        if (queues is null || interrupt is null || _needsReset) return;
        if ((uint)queueIndex >= (uint)queues.Count) return;
        var queue = queues[queueIndex];
        Counters.CountWakeup();

        bool completed = false;
        while (true)
        {
            // No kicks while draining (QEMU does the same): requests the driver adds meanwhile are found by the loop
            // below, and every kick saved is a VM exit saved, the costliest part of a request in a nested guest.
            queue.DisableNotification();
            bool stopped = false;
            // Between requests, a Quiesce waiting for the lock stops the loop: what is left is served on Resume.
            while (!(stopped = Volatile.Read(ref _quiesced)))
            {
                if (!queue.TryPopAvailable(out var chain, out var fault))
                {
                    if (!fault.IsError) break;
                    if (queue.TryFailRequest(fault))
                    {
                        completed = true;
                        continue;
                    }
                    _needsReset = true;
                    interrupt.SignalNeedsReset($"virtio-blk queue {queueIndex}: {fault.Describe()}");
                    stopped = true;
                    break;
                }
                uint written = Execute(chain);
                queue.AddUsed(chain.HeadIndex, written);
                completed = true;
            }
            // Kicks back on (also when stopping: Resume and the next driver session count on them); a request that
            // slipped in before they were means another round.
            if (!queue.EnableNotification() || stopped) break;
        }
        if (completed && queue.NeedsNotification())
        {
            Counters.CountInterrupt();
            interrupt.SignalUsedBuffers(queueIndex);
        }
    }

    public void Reset()
    {
        lock (_gate)
        {
            _queues = null;
            _interrupt = null;
            _negotiated = 0;
            _needsReset = false;
            _restored = null;
        }
    }
}
