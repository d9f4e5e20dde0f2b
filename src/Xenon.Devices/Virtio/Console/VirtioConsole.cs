using Xenon.Devices.State;
using Xenon.Devices.Virtio.Queue;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Virtio.Console;

/// <summary>
/// The virtio console device (type 3) with VIRTIO_CONSOLE_F_MULTIPORT: port 0 plus named ports ("channels"),
/// each a byte stream to an <see cref="IConsolePortBackend"/>. Queues: 0/1 are port 0's receiveq/transmitq,
/// 2/3 the control receiveq/transmitq, then 2(n+1)/2(n+1)+1 port n's. Control messages (Control.cs) announce
/// the ports; data (Data.cs) moves between guest buffers and the backends without copying through the device.
/// </summary>
/// <remarks>
/// Threading: <see cref="QueueNotify"/> and <see cref="ServicePending"/> run on the device I/O thread. Backends
/// call the <c>wake</c> action from their own threads when they have input, output space or a connection change;
/// the integrator makes wake signal an EventFd whose IoEventLoop callback calls <see cref="ServicePending"/>, so
/// backend input reaches the guest on that same thread. Activate/Reset/config accesses come from vCPU threads;
/// one internal lock serialises everything. Guest input never throws: a malformed control message is counted
/// and ignored, a chain fault completes its head with length 0, a ring fault sets DEVICE_NEEDS_RESET once.
/// </remarks>
public sealed partial class VirtioConsole : IVirtioDevice, IStateful, IQuiescable
{
    public const ushort DefaultQueueSize = 128;

    /// <summary>Port n uses queues 2(n+1) and 2(n+1)+1, and the PCI transport has at most 1024 queues.</summary>
    public const int MaxPorts = 511;

    private readonly object _gate = new();
    private readonly GuestMemory _memory;
    private readonly VirtioConsolePort[] _ports;
    private readonly ushort[] _queueMaxSizes;
    private readonly byte[] _config = new byte[VirtioConsoleConfig.Size];
    private readonly ControlMessageQueue _pendingControl;
    private readonly bool[] _completed;
    private readonly int[] _touched;
    private int _touchedCount;

    private IReadOnlyList<VirtQueue>? _queues;
    private IVirtioInterrupt? _interrupt;
    private bool _multiport;
    private bool _needsReset;
    private long _invalidControl;

    /// <param name="memory">Guest RAM the queues' buffers point into.</param>
    /// <param name="ports">Port 0 first; each with its backend (not owned: the caller disposes them), optional name, console flag.</param>
    /// <param name="wake">Given to every backend: called from backend threads when a port has work; must lead to
    /// <see cref="ServicePending"/> on the device I/O thread.</param>
    /// <param name="queueSize">Maximum size of every queue.</param>
    public VirtioConsole(GuestMemory memory, IReadOnlyList<ConsolePortSpec> ports, Action wake, ushort queueSize = DefaultQueueSize)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(ports);
        ArgumentNullException.ThrowIfNull(wake);
        if (ports.Count is < 1 or > MaxPorts) throw new ArgumentOutOfRangeException(nameof(ports), ports.Count, $"a console has 1..{MaxPorts} ports");
        if (!SplitRingLayout.IsValidSize(queueSize)) throw new ArgumentOutOfRangeException(nameof(queueSize), queueSize, "not a power of two in 1..32768");
        _memory = memory;
        _ports = new VirtioConsolePort[ports.Count];
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < ports.Count; i++)
        {
            var spec = ports[i] ?? throw new ArgumentException($"port {i} is null", nameof(ports));
            ArgumentNullException.ThrowIfNull(spec.Backend);
            if (spec.Name is { } name && !names.Add(name)) throw new ArgumentException($"port name '{name}' is used twice", nameof(ports));
            _ports[i] = new VirtioConsolePort((uint)i, spec);
        }
        int queueCount = 2 * (ports.Count + 1);
        _queueMaxSizes = new ushort[queueCount];
        Array.Fill(_queueMaxSizes, queueSize);
        _completed = new bool[queueCount];
        _touched = new int[queueCount];
        // Room for every announcement of every port (ADD, CONSOLE, NAME, OPEN) plus slack for open/close changes.
        _pendingControl = new ControlMessageQueue(4 * ports.Count + 16);
        VirtioConsoleConfig.Encode(_config, (uint)ports.Count);
        foreach (var port in _ports) port.Backend.Start(wake);
    }

    public ushort DeviceType => 3;

    public ulong DeviceFeatures => VirtioConsoleFeatures.Multiport | VirtioConsoleFeatures.RingIndirectDesc | VirtioConsoleFeatures.RingEventIdx;

    public IReadOnlyList<ushort> QueueMaxSizes => _queueMaxSizes;

    public IReadOnlyList<VirtioConsolePort> Ports => _ports;

    /// <summary>The driver negotiated MULTIPORT (otherwise only port 0 exists for it, as its console).</summary>
    public bool IsMultiport
    {
        get { lock (_gate) return _multiport; }
    }

    /// <summary>Control messages from the driver that were malformed or named no port.</summary>
    public long InvalidControlMessages => Interlocked.Read(ref _invalidControl);

    /// <summary>Announcements dropped because the driver gave no control buffers for too long.</summary>
    public long DroppedControlMessages
    {
        get { lock (_gate) return _pendingControl.Dropped; }
    }

    public void ReadConfig(int offset, Span<byte> data)
    {
        VirtioConfigSpace.Read(_config, offset, data);
    }

    // emerg_wr is the only writable field, and EMERG_WRITE is not offered.
    public void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
    }

    public void Activate(ulong features, IReadOnlyList<VirtQueue> queues, IVirtioInterrupt interrupt)
    {
        ArgumentNullException.ThrowIfNull(queues);
        ArgumentNullException.ThrowIfNull(interrupt);
        if (queues.Count != _queueMaxSizes.Length)
            throw new ArgumentException($"virtio-console has {_queueMaxSizes.Length} queues, the transport passed {queues.Count}", nameof(queues));
        lock (_gate)
        {
            var restored = _restored; // ResetLocked forgets it
            ResetLocked();
            _multiport = (features & VirtioConsoleFeatures.Multiport) != 0;
            // Without MULTIPORT the driver makes port 0 its console at once, with no handshake.
            if (!_multiport) _ports[0].GuestOpen = true;
            _interrupt = interrupt;
            _queues = queues;
            if (restored is not null) ResumeSession(restored);
        }
    }

    public void QueueNotify(int queueIndex)
    {
        lock (_gate)
        {
            // Held back while quiesced; Resume serves every queue.
            if (_quiesced || !IsRunning || (uint)queueIndex >= (uint)_queueMaxSizes.Length) return;
            if (queueIndex is ControlReceiveQueue or ControlTransmitQueue)
            {
                if (!_multiport) return;
                if (queueIndex == ControlTransmitQueue) HandleControlMessages();
                FlushControl();
            }
            else
            {
                int id = queueIndex < 2 ? 0 : queueIndex / 2 - 1;
                if (id >= _ports.Length || (!_multiport && id != 0)) return;
                var port = _ports[id];
                if (queueIndex == port.TransmitQueue) Transmit(port);
                else Receive(port);
            }
            SignalCompleted();
        }
    }

    /// <summary>
    /// Serves what the backends have: host input into receive buffers, guest output held back by a full backend,
    /// and PORT_OPEN for host-side connects and disconnects. Call on the device I/O thread after wake.
    /// </summary>
    public void ServicePending()
    {
        lock (_gate)
        {
            if (_quiesced || !IsRunning) return;
            int count = _multiport ? _ports.Length : 1;
            for (int i = 0; i < count && !_needsReset; i++)
            {
                var port = _ports[i];
                bool connected = port.Backend.IsConnected;
                // A new peer is announced before its bytes, a departed one after the last of them.
                if (connected) ReportHostOpen(port, open: true);
                Transmit(port);
                Receive(port);
                if (!connected) ReportHostOpen(port, open: false);
            }
            FlushControl();
            SignalCompleted();
        }
    }

    public void Reset()
    {
        lock (_gate) ResetLocked();
    }

    private const int ControlReceiveQueue = 2;
    private const int ControlTransmitQueue = 3;

    private bool IsRunning => _queues is not null && _interrupt is not null && !_needsReset;

    private void ResetLocked()
    {
        _queues = null;
        _interrupt = null;
        _multiport = false;
        _needsReset = false;
        _pendingControl.Clear();
        _restored = null;
        foreach (var port in _ports) port.ResetDriverState();
        Array.Clear(_completed);
        _touchedCount = 0;
    }

    /// <summary>
    /// Pops the next chain of queue <paramref name="q"/> (into <paramref name="into"/> when given), completing chains
    /// that fail their walk with length 0. Null when the queue is empty, not enabled, or broken (then NEEDS_RESET is set).
    /// </summary>
    private DescriptorChain? Pop(int q, DescriptorChain? into = null)
    {
        var queue = _queues![q];
        while (!_needsReset)
        {
            DescriptorChain? chain;
            QueueFault fault;
            if (into is null)
            {
                if (queue.TryPopAvailable(out chain, out fault)) return chain;
            }
            else if (queue.TryPopAvailable(into, out fault))
            {
                return into;
            }
            if (!fault.IsError) return null;
            if (fault.CanCompleteHead)
            {
                Complete(q, (ushort)fault.HeadIndex, 0);
                continue;
            }
            _needsReset = true;
            _interrupt!.SignalNeedsReset($"virtio-console queue {q}: {fault.Describe()}");
        }
        return null;
    }

    private void Complete(int q, ushort head, uint written)
    {
        _queues![q].AddUsed(head, written);
        if (_completed[q]) return;
        _completed[q] = true;
        _touched[_touchedCount++] = q;
    }

    /// <summary>One interrupt decision per queue that completed something since the last call.</summary>
    private void SignalCompleted()
    {
        for (int i = 0; i < _touchedCount; i++)
        {
            int q = _touched[i];
            _completed[q] = false;
            if (_queues is { } queues && _interrupt is { } interrupt && queues[q].NeedsNotification()) interrupt.SignalUsedBuffers(q);
        }
        _touchedCount = 0;
    }
}
