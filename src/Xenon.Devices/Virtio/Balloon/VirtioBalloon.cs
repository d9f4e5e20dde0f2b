using System.Buffers.Binary;
using Xenon.Devices.State;
using Xenon.Devices.Virtio.Queue;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Virtio.Balloon;

/// <summary>
/// The virtio memory balloon (type 5). The host sets a target (<see cref="SetTarget"/>, config num_pages); the
/// guest inflates the balloon toward it, handing pages over by PFN on the inflateq (the device gives them back to
/// the host with <see cref="GuestMemory.Discard"/>), deflates on the deflateq (nothing to do: a discarded page
/// faults back in, zeroed, when the guest touches it) and reports the size it reached in config actual.
/// Offered besides: STATS_VQ (guest memory statistics on request), DEFLATE_ON_OOM, and free page REPORTING
/// (ranges the guest's allocator has free are released the same way). Page operations live in Pages.cs,
/// statistics in Stats.cs.
/// </summary>
/// <remarks>
/// Threading: <see cref="QueueNotify"/> runs on the device I/O thread; <see cref="SetTarget"/>,
/// <see cref="RequestStats"/> and the properties may be used from any thread; config accesses, Activate and Reset
/// come from vCPU threads. One internal lock serialises them. <c>configChanged</c> (the transport's
/// NotifyConfigChanged, which takes the transport's lock) is always called outside it. Guest input never throws
/// and never releases memory outside guest RAM: every PFN and reported range is checked by GuestMemory.Discard;
/// chain faults complete the head with length 0, a ring fault sets DEVICE_NEEDS_RESET once.
/// </remarks>
public sealed partial class VirtioBalloon : IVirtioDevice, IStateful, IQuiescable
{
    public const ushort DefaultQueueSize = 128;

    private readonly object _gate = new();
    private readonly GuestMemory _memory;
    private readonly Action _configChanged;
    private readonly TimeProvider _time;
    private readonly ushort[] _queueMaxSizes;
    private readonly QueueRole[] _roles;

    private IReadOnlyList<VirtQueue>? _queues;
    private IVirtioInterrupt? _interrupt;
    private bool _needsReset;
    private uint _target;
    private uint _actual;
    private ulong _inflatedPages;
    private ulong _reportedPages;
    private ulong _invalidPfns;
    private ulong _discardFailures;
    private BalloonStats? _latestStats;
    private int _statsQueue = -1;
    private ushort? _heldStatsHead;

    /// <param name="memory">Guest RAM: where PFNs point and what inflation releases.</param>
    /// <param name="configChanged">Raises the configuration-change interrupt (VirtioPciDevice.NotifyConfigChanged).</param>
    /// <param name="time">Clock stamped on statistics (tests pass a manual one).</param>
    /// <param name="queueSize">Maximum size of every queue.</param>
    public VirtioBalloon(GuestMemory memory, Action configChanged, TimeProvider? time = null, ushort queueSize = DefaultQueueSize)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(configChanged);
        if (!SplitRingLayout.IsValidSize(queueSize)) throw new ArgumentOutOfRangeException(nameof(queueSize), queueSize, "not a power of two in 1..32768");
        _memory = memory;
        _configChanged = configChanged;
        _time = time ?? TimeProvider.System;
        // inflateq, deflateq, statsq, reporting_vq: the most the offered features can use.
        _queueMaxSizes = [queueSize, queueSize, queueSize, queueSize];
        _roles = new QueueRole[_queueMaxSizes.Length];
    }

    public ushort DeviceType => 5;

    public ulong DeviceFeatures => VirtioBalloonFeatures.StatsVq | VirtioBalloonFeatures.DeflateOnOom | VirtioBalloonFeatures.Reporting
        | VirtioBalloonFeatures.RingIndirectDesc | VirtioBalloonFeatures.RingEventIdx;

    public IReadOnlyList<ushort> QueueMaxSizes => _queueMaxSizes;

    /// <summary>Pages (4 KiB) the host wants in the balloon (config num_pages).</summary>
    public ulong TargetPages
    {
        get { lock (_gate) return _target; }
    }

    /// <summary>Pages the guest says the balloon holds (config actual, written by the driver).</summary>
    public ulong ActualPages
    {
        get { lock (_gate) return _actual; }
    }

    /// <summary>Pages inflated minus pages deflated, as this device counted the PFNs it accepted (zero after reset).</summary>
    public ulong InflatedPages
    {
        get { lock (_gate) return _inflatedPages; }
    }

    /// <summary>Pages released through free page reporting since construction.</summary>
    public ulong ReportedPages
    {
        get { lock (_gate) return _reportedPages; }
    }

    /// <summary>PFNs (and reported ranges, in pages) that pointed outside guest RAM or could not be used; ignored.</summary>
    public ulong InvalidPfns
    {
        get { lock (_gate) return _invalidPfns; }
    }

    /// <summary>Valid ranges the host refused to release (madvise/fallocate failed); the guest is unaffected.</summary>
    public ulong DiscardFailures
    {
        get { lock (_gate) return _discardFailures; }
    }

    /// <summary>The last statistics the guest reported, or null before the first report.</summary>
    public BalloonStats? LatestStats
    {
        get { lock (_gate) return _latestStats; }
    }

    /// <summary>
    /// Sets the balloon's target size in 4 KiB pages and raises the configuration interrupt so the guest inflates
    /// or deflates toward it. At most the guest's RAM.
    /// </summary>
    public void SetTarget(ulong pages)
    {
        ulong ramPages = _memory.RamSize >> VirtioBalloonConfig.PfnShift;
        if (pages > ramPages || pages > uint.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(pages), pages, $"the balloon target is at most the guest's {ramPages} pages");
        lock (_gate)
        {
            if (_target == (uint)pages) return;
            _target = (uint)pages;
        }
        _configChanged();
    }

    public void ReadConfig(int offset, Span<byte> data)
    {
        Span<byte> config = stackalloc byte[VirtioBalloonConfig.Size];
        config.Clear();
        lock (_gate)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(config[VirtioBalloonConfig.NumPagesOffset..], _target);
            BinaryPrimitives.WriteUInt32LittleEndian(config[VirtioBalloonConfig.ActualOffset..], _actual);
        }
        VirtioConfigSpace.Read(config, offset, data);
    }

    /// <summary>Only actual is the driver's to write; bytes of it are merged, so any access width works.</summary>
    public void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            Span<byte> actual = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(actual, _actual);
            for (int i = 0; i < data.Length; i++)
            {
                long at = (long)offset + i - VirtioBalloonConfig.ActualOffset;
                if (at is >= 0 and < 4) actual[(int)at] = data[i];
            }
            _actual = BinaryPrimitives.ReadUInt32LittleEndian(actual);
        }
    }

    public void Activate(ulong features, IReadOnlyList<VirtQueue> queues, IVirtioInterrupt interrupt)
    {
        ArgumentNullException.ThrowIfNull(queues);
        ArgumentNullException.ThrowIfNull(interrupt);
        if (queues.Count != _queueMaxSizes.Length)
            throw new ArgumentException($"virtio-balloon has {_queueMaxSizes.Length} queues, the transport passed {queues.Count}", nameof(queues));
        lock (_gate)
        {
            var restored = _restored; // ResetLocked forgets it
            ResetLocked();
            AssignRoles(features & DeviceFeatures);
            _interrupt = interrupt;
            _queues = queues;
            if (restored is not null) ResumeSession(restored);
        }
    }

    public void QueueNotify(int queueIndex)
    {
        lock (_gate)
        {
            var queues = _queues;
            // Held back while quiesced; Resume serves every queue.
            if (queues is null || _interrupt is null || _needsReset || _quiesced || (uint)queueIndex >= (uint)_roles.Length) return;
            bool completed = _roles[queueIndex] switch
            {
                QueueRole.Inflate => ServePfns(queueIndex, inflate: true),
                QueueRole.Deflate => ServePfns(queueIndex, inflate: false),
                QueueRole.Stats => ReceiveStats(queueIndex),
                QueueRole.Reporting => ServeReports(queueIndex),
                _ => false,
            };
            if (completed && queues[queueIndex].NeedsNotification()) _interrupt.SignalUsedBuffers(queueIndex);
        }
    }

    /// <summary>The driver reset the device (or the guest rebooted): the balloon is empty again; the target stays.</summary>
    public void Reset()
    {
        lock (_gate) ResetLocked();
    }

    private enum QueueRole : byte
    {
        None,
        Inflate,
        Deflate,
        Stats,
        Reporting,
    }

    /// <summary>
    /// Queues exist only for negotiated features and are numbered without gaps (Linux's find_vqs skips the
    /// absent ones): inflateq, deflateq, then statsq if STATS_VQ, then reporting_vq if REPORTING.
    /// </summary>
    private void AssignRoles(ulong negotiated)
    {
        // None is 0. Not Array.Fill: its instantiation over this enum has no ReadyToRun code, and the JIT it needs
        // ran inside a migration's downtime (activation on the restored state).
        Array.Clear(_roles);
        int next = 0;
        _roles[next++] = QueueRole.Inflate;
        _roles[next++] = QueueRole.Deflate;
        _statsQueue = -1;
        if ((negotiated & VirtioBalloonFeatures.StatsVq) != 0)
        {
            _statsQueue = next;
            _roles[next++] = QueueRole.Stats;
        }
        if ((negotiated & VirtioBalloonFeatures.Reporting) != 0) _roles[next] = QueueRole.Reporting;
    }

    private void ResetLocked()
    {
        _queues = null;
        _interrupt = null;
        _needsReset = false;
        _actual = 0;
        _inflatedPages = 0;
        _heldStatsHead = null;
        _statsQueue = -1;
        _restored = null;
        Array.Clear(_roles); // None is 0 (see AssignRoles)
    }

    /// <summary>Pops the next chain of queue <paramref name="q"/>, completing chains that fail their walk with length 0.
    /// Null when the queue is empty, not enabled or broken (then NEEDS_RESET is set).</summary>
    private DescriptorChain? Pop(int q, ref bool completed)
    {
        var queue = _queues![q];
        while (!_needsReset)
        {
            if (queue.TryPopAvailable(out var chain, out var fault)) return chain;
            if (!fault.IsError) return null;
            if (queue.TryFailRequest(fault))
            {
                completed = true;
                continue;
            }
            _needsReset = true;
            _interrupt!.SignalNeedsReset($"virtio-balloon queue {q}: {fault.Describe()}");
        }
        return null;
    }
}
