using System.Net.NetworkInformation;
using Xenon.Devices.State;
using Xenon.Devices.Virtio.Queue;
using Xenon.Machine.IoEvents;
using Xenon.Machine.Memory;
using Xenon.Machine.State;

namespace Xenon.Devices.Virtio.Net;

/// <summary>
/// A virtio network device (device type 1) over an <see cref="INetBackend"/>: one receive and one transmit queue
/// (no control queue, no multiqueue), the MAC, link status and MTU in its configuration, checksum and TSO
/// offloads in both directions, and mergeable receive buffers. The virtio-net header passes through to the
/// backend as its vnet header, so offloaded frames are neither checksummed nor segmented here. Receive lives in
/// VirtioNet.Receive.cs, transmit in VirtioNet.Transmit.cs.
/// </summary>
/// <remarks>
/// Threading: queue kicks (<see cref="QueueNotify"/>), backend readiness (<see cref="OnBackendReadable"/>),
/// <see cref="Activate"/> and <see cref="Reset"/> are serialised by the device's own lock, because the transport
/// calls the last two on a vCPU thread while the I/O thread serves the first two. Meant to run on one
/// <see cref="IoEventLoop"/>: <see cref="AttachTo"/> makes the loop watch the backend.
/// Guest input never throws: malformed chains are completed unused and counted, ring faults set
/// DEVICE_NEEDS_RESET, and every frame not delivered is counted in <see cref="Counters"/>.
/// </remarks>
public sealed partial class VirtioNet : IVirtioDevice, IStateful, IQuiescable, IDisposable
{
    public const ushort DefaultQueueSize = 256;
    public const ushort DefaultMtu = 1500;
    public const int ReceiveQueue = 0;
    public const int TransmitQueue = 1;

    /// <summary>The largest header plus frame moved either way: a 64 KiB TSO super-frame and its headers, with
    /// room to spare (QEMU's NET_BUFSIZE). Larger frames are dropped and counted.</summary>
    public const int MaxPacketBytes = 4096 + 65536;

    private readonly object _lock = new();
    private readonly GuestMemory _memory;
    private readonly INetBackend _backend;
    private readonly byte[] _config = new byte[VirtioNetConfig.Size];
    private readonly ushort[] _queueMaxSizes;

    private ulong _negotiated;
    private VirtQueue? _rxQueue;
    private VirtQueue? _txQueue;
    private IVirtioInterrupt? _interrupt;
    private bool _needsReset;
    private bool _receiveInterest;
    private IDisposable? _watch;
    private IoTimer? _txTimer;
    private bool _txSignalPending;
    // What the backend last accepted (null: not known, e.g. before the first call or after a refusal). TUNSETOFFLOAD
    // makes the kernel recompute the tap's (and its bridge's) features under the RTNL lock: milliseconds, and inside
    // a migration's downtime when a restored device activates, so a call that would change nothing is skipped.
    private NetOffloads? _backendOffloads;
    private bool _backendOffloadsSet; // whether the last ApplyOffloads called the backend (for the restore profile)

    /// <param name="memory">Guest RAM the queues' buffers point into.</param>
    /// <param name="backend">Where frames go; the device does not own it (the caller disposes it after the device).</param>
    /// <param name="mac">The guest's MAC address (unicast, not all zeroes), e.g. Xen's 00:16:3e:xx:xx:xx.</param>
    /// <param name="mtu">The MTU the driver is advised to use (VIRTIO_NET_F_MTU); the host side (the tap) should match it.</param>
    /// <param name="offloads">Offer checksum and TSO offloads (true); without them every frame is complete and checksummed.</param>
    public VirtioNet(GuestMemory memory, INetBackend backend, PhysicalAddress mac, ushort mtu = DefaultMtu,
        ushort queueSize = DefaultQueueSize, bool offloads = true)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(mac);
        var macBytes = mac.GetAddressBytes();
        if (macBytes.Length != 6) throw new ArgumentException($"a MAC address has 6 bytes, not {macBytes.Length}", nameof(mac));
        if ((macBytes[0] & 1) != 0) throw new ArgumentException($"MAC address {mac} is a multicast address", nameof(mac));
        if (Array.TrueForAll(macBytes, b => b == 0)) throw new ArgumentException("MAC address is all zeroes", nameof(mac));
        // 68 is IPv4's minimum; any 16-bit MTU plus headers fits the device's largest packet.
        if (mtu < 68) throw new ArgumentOutOfRangeException(nameof(mtu), mtu, "MTU must be at least 68");
        if (queueSize < 2 || !SplitRingLayout.IsValidSize(queueSize))
            throw new ArgumentOutOfRangeException(nameof(queueSize), $"queue size {queueSize} is not a power of two in 2..{SplitRingLayout.MaxQueueSize}");

        _memory = memory;
        _backend = backend;
        _queueMaxSizes = [queueSize, queueSize];
        _rxStash = new DescriptorChain?[queueSize];
        _txHeld = new ushort[queueSize];
        Mac = mac;
        Mtu = mtu;
        DeviceFeatures = VirtioNetFeatures.Mac | VirtioNetFeatures.Status | VirtioNetFeatures.Mtu
            | VirtioNetFeatures.MergeableRxBuffers
            | VirtioNetFeatures.RingIndirectDesc | VirtioNetFeatures.RingEventIdx
            | (offloads ? VirtioNetFeatures.Offloads : 0);
        VirtioNetConfig.Encode(_config, macBytes, VirtioNetConfig.StatusLinkUp, mtu);
    }

    public ushort DeviceType => 1;

    public ulong DeviceFeatures { get; }

    public IReadOnlyList<ushort> QueueMaxSizes => _queueMaxSizes;

    public PhysicalAddress Mac { get; }

    public ushort Mtu { get; }

    /// <summary>How long a transmit-completion interrupt may wait for more completions to share it (0: none;
    /// needs <see cref="AttachTo"/>). See VirtioNet.Transmit.cs for why it exists. Set before the guest runs.</summary>
    public long TransmitCoalesceNanoseconds { get; set; }

    public VirtioNetCounters Counters { get; } = new();

    /// <summary>XENON_NET_RESTORED_INTEREST=1: a restored activation turns receive interest on at once, as before (for measuring).</summary>
    private static readonly bool RestoredInterestNow = Environment.GetEnvironmentVariable("XENON_NET_RESTORED_INTEREST") == "1";

    /// <summary>Kicks, wake-ups, interrupts and transmit latencies, for finding where a transfer waits (not saved).</summary>
    public VirtioNetStats Stats { get; } = new();

    /// <summary>The device features the driver accepted (0 before activation).</summary>
    public ulong NegotiatedFeatures
    {
        get { lock (_lock) return _negotiated; }
    }

    /// <summary>The offloads the backend was last asked to apply (what the driver accepted for receive).</summary>
    public NetOffloads ReceiveOffloads { get; private set; }

    public bool IsActive
    {
        get { lock (_lock) return _rxQueue is not null; }
    }

    /// <summary>Whether the device currently wants backend readiness callbacks (false while it has no receive
    /// buffers, is not running, or needs a reset).</summary>
    public bool ReceiveInterest
    {
        get { lock (_lock) return _receiveInterest; }
    }

    public void ReadConfig(int offset, Span<byte> data)
    {
        VirtioConfigSpace.Read(_config, offset, data);
    }

    // The MAC is read-only in virtio 1.x (it changes only through the control queue's MAC commands, not offered).
    public void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
    }

    public void Activate(ulong features, IReadOnlyList<VirtQueue> queues, IVirtioInterrupt interrupt)
    {
        ArgumentNullException.ThrowIfNull(queues);
        ArgumentNullException.ThrowIfNull(interrupt);
        if (queues.Count != _queueMaxSizes.Length)
            throw new ArgumentException($"virtio-net has {_queueMaxSizes.Length} queues, the transport passed {queues.Count}", nameof(queues));
        lock (_lock)
        {
            _negotiated = features & DeviceFeatures;
            _rxQueue = queues[ReceiveQueue];
            _txQueue = queues[TransmitQueue];
            _interrupt = interrupt;
            _needsReset = false;
            _txHeldCount = 0;
            _txCheckedUsed = _txSignalledUsed = queues[TransmitQueue].NextUsed;
            ClearReceiveState();
            ReceiveOffloads = VirtioNetFeatures.ReceiveOffloads(_negotiated);
            // A refusal leaves the backend's earlier (narrower, since reset clears them) offloads, and receive
            // normalisation drops anything the driver did not accept, so it is safe to carry on.
            RestoreProfile.Mark("net setup");
            ApplyOffloads(ReceiveOffloads);
            RestoreProfile.Mark(_backendOffloadsSet ? "offloads (set)" : "offloads (unchanged)");
            // A restored session leaves receive interest to the transport's kick of every queue after the restore
            // (RestoreCompleted, served on the I/O thread): turned on here, with the tap already holding frames, it
            // woke the I/O thread into this lock while the restore held it, inside a migration's downtime.
            if (_restored is null || RestoredInterestNow) SetReceiveInterest(true);
            RestoreProfile.Mark("interest");
            if (_restored is { } restored)
            {
                _restored = null;
                ResumeSession(restored);
                RestoreProfile.Mark("session");
            }
        }
    }

    public void QueueNotify(int queueIndex)
    {
        lock (_lock)
        {
            // Held back while quiesced; Resume serves both queues.
            if (_rxQueue is null || _needsReset || _quiesced) return;
            // A receive kick matters only while the device waits for buffers (a frame held, or the backend
            // unwatched); otherwise the backend's readiness drives receive, and reading it here would only
            // cost a read that finds nothing after every refill.
            if (queueIndex == ReceiveQueue)
            {
                bool serve = _rxPending > 0 || !_receiveInterest;
                Stats.RxKick(serve);
                if (serve) ProcessReceive();
            }
            else if (queueIndex == TransmitQueue)
            {
                long now = VirtioNetStats.Now();
                Stats.TxKick(now, _txQueue!.NotificationsEnabled);
                ProcessTransmit(now);
            }
        }
    }

    /// <summary>The backend has frames waiting (called by the watcher <see cref="AttachTo"/> installs, or by an
    /// integrator that watches the backend itself). Receives as many as the driver has buffers for.</summary>
    public void OnBackendReadable()
    {
        lock (_lock)
        {
            if (_rxQueue is null || _needsReset || _quiesced)
            {
                SetReceiveInterest(false);
                return;
            }
            Stats.RxBackendWake();
            ProcessReceive();
        }
    }

    public void Reset()
    {
        lock (_lock)
        {
            if (_rxPending > 0) Counters.RxReset();
            ClearReceiveState();
            _rxQueue = null;
            _txQueue = null;
            _txSignalPending = false;
            _txHeldCount = 0;
            _txPolling = false;
            _interrupt = null;
            _negotiated = 0;
            _needsReset = false;
            _restored = null;
            SetReceiveInterest(false);
            // Frames already queued for the next driver must not carry offloads it may not accept.
            ReceiveOffloads = NetOffloads.None;
            ApplyOffloads(NetOffloads.None);
        }
    }

    /// <summary>
    /// Before a saved state is restored into this never-activated device (a migration's receiver, a prepared
    /// restore): sets the backend's offloads to those a driver that accepts every offered offload negotiates, as
    /// Linux's does, so that the activation inside the restore's window finds them set and skips the call. A driver
    /// that accepted fewer gets its own set at activation, as without this. Does nothing to an active device.
    /// </summary>
    /// <remarks>Frames the backend queues meanwhile are not read (no receive interest before activation); any the
    /// driver turns out not to accept are dropped by receive normalisation and counted, as after a refused call.</remarks>
    public void PrepareForRestore()
    {
        lock (_lock)
        {
            if (_rxQueue is not null) return;
            ApplyOffloads(VirtioNetFeatures.ReceiveOffloads(DeviceFeatures));
        }
    }

    // Lock held.
    private void ApplyOffloads(NetOffloads offloads)
    {
        _backendOffloadsSet = _backendOffloads != offloads;
        if (!_backendOffloadsSet) return;
        _backendOffloads = _backend.SetOffloads(offloads) ? offloads : null;
    }

    /// <summary>Makes <paramref name="loop"/> call <see cref="OnBackendReadable"/> when the backend has frames and
    /// the device wants them. Queue kicks should be served on the same loop (the transport's ioeventfds).</summary>
    public void AttachTo(IoEventLoop loop)
    {
        ArgumentNullException.ThrowIfNull(loop);
        lock (_lock)
        {
            if (_watch is not null) throw new InvalidOperationException("the device is already attached to an I/O loop");
        }
        var watch = _backend.Watch(loop, OnBackendReadable);
        var timer = new IoTimer(loop, OnTransmitTimer);
        var pollTimer = new IoTimer(loop, OnTransmitPollTimer);
        lock (_lock)
        {
            _watch = watch;
            _txTimer = timer;
            _txPollTimer = pollTimer;
        }
    }

    /// <summary>Stops the loop watching the backend; waits for a callback in progress. Call from outside the loop's callbacks.</summary>
    public void Detach()
    {
        IDisposable? watch;
        IoTimer? timer;
        IoTimer? pollTimer;
        lock (_lock)
        {
            watch = _watch;
            _watch = null;
            timer = _txTimer;
            // Completions the window still holds must reach the driver: nothing would publish them later.
            if (_txSignalPending || _txHeldCount > 0) EndTransmitWindow();
            _txTimer = null;
            pollTimer = _txPollTimer;
            _txPollTimer = null;
            // Kicks were off for a poll that will not come: serve the ring now, which asks for kicks again.
            if (_txPolling && _txQueue is not null && !_needsReset && !_quiesced) ProcessTransmit(VirtioNetStats.Now());
            _txPolling = false;
        }
        // Outside the lock: disposing waits for a running callback, which takes the lock.
        watch?.Dispose();
        timer?.Dispose();
        pollTimer?.Dispose();
    }

    public void Dispose() => Detach();

    private void SetReceiveInterest(bool interested)
    {
        if (interested == _receiveInterest) return;
        _receiveInterest = interested;
        _backend.SetReceiveInterest(interested);
    }

    private void MarkNeedsReset(IVirtioInterrupt interrupt, string queueName, QueueFault fault)
    {
        _needsReset = true;
        SetReceiveInterest(false);
        interrupt.SignalNeedsReset($"virtio-net {queueName} queue: {fault.Describe()}");
    }
}
