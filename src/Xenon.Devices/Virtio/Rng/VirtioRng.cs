using Xenon.Devices.State;
using Xenon.Devices.Virtio.Queue;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Virtio.Rng;

/// <summary>
/// The virtio entropy device (type 4): one request queue whose device-writable buffers are filled from an
/// <see cref="IEntropySource"/> (the host CSPRNG by default) straight in guest RAM, at most
/// <see cref="VirtioRngOptions.MaxBytesPerRequest"/> a request and, if configured, at most
/// <see cref="VirtioRngOptions.MaxBytesPerPeriod"/> a period. No features of its own, no configuration space.
/// </summary>
/// <remarks>
/// Threading: <see cref="QueueNotify"/> and <see cref="ServicePending"/> run on the device I/O thread; the
/// transport calls Activate/Reset from vCPU threads. One internal lock serialises them all. When the rate limit
/// holds requests back, a timer calls the <c>wake</c> action when the next window opens; the integrator makes
/// wake signal an EventFd whose IoEventLoop callback calls <see cref="ServicePending"/> (Linux's hwrng waits for
/// its one outstanding request and never kicks again, so without the wake a throttled guest would wait forever).
/// Guest input never throws: a chain without writable bytes is completed with length 0, a chain fault completes
/// its head with length 0, a ring fault sets DEVICE_NEEDS_RESET once until the driver resets the device.
/// </remarks>
public sealed partial class VirtioRng : IVirtioDevice, IStateful, IQuiescable, IDisposable
{
    private readonly object _gate = new();
    private readonly GuestMemory _memory;
    private readonly IEntropySource _source;
    private readonly TimeProvider _time;
    private readonly int _maxPerRequest;
    private readonly RateWindow? _rate;
    private readonly ITimer? _refillTimer;
    private readonly ushort[] _queueMaxSizes;

    private VirtQueue? _queue;
    private IVirtioInterrupt? _interrupt;
    private bool _needsReset;
    private bool _timerArmed;
    private long _bytesServed;
    private long _requestsServed;
    private long _throttled;

    /// <param name="memory">Guest RAM the queue's buffers point into.</param>
    /// <param name="options">Limits; <see cref="VirtioRngOptions.Default"/> when null.</param>
    /// <param name="wake">Called (from a timer thread) when throttled requests may be served again; required with a rate limit.</param>
    /// <param name="source">The entropy; the host CSPRNG when null.</param>
    /// <param name="time">Clock for the rate limit (tests pass a manual one).</param>
    public VirtioRng(GuestMemory memory, VirtioRngOptions? options = null, Action? wake = null, IEntropySource? source = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(memory);
        options ??= VirtioRngOptions.Default;
        options.Validate();
        _memory = memory;
        _source = source ?? SystemEntropySource.Instance;
        _time = time ?? TimeProvider.System;
        _maxPerRequest = options.MaxBytesPerRequest;
        _queueMaxSizes = [options.QueueSize];
        if (options.MaxBytesPerPeriod != 0)
        {
            if (wake is null) throw new ArgumentNullException(nameof(wake), "a rate-limited virtio-rng needs a wake action to resume throttled requests");
            _rate = new RateWindow(options.MaxBytesPerPeriod, options.Period, _time.TimestampFrequency);
            _refillTimer = _time.CreateTimer(_ => OnRefill(wake), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    public ushort DeviceType => 4;

    public ulong DeviceFeatures => VirtioRingFeatures;

    public IReadOnlyList<ushort> QueueMaxSizes => _queueMaxSizes;

    /// <summary>Random bytes written into guest buffers since construction.</summary>
    public long BytesServed => Interlocked.Read(ref _bytesServed);

    public long RequestsServed => Interlocked.Read(ref _requestsServed);

    /// <summary>How many times the rate limit held requests back.</summary>
    public long ThrottleEvents => Interlocked.Read(ref _throttled);

    // INDIRECT_DESC and EVENT_IDX: VirtQueue implements both.
    private const ulong VirtioRingFeatures = (1UL << 28) | (1UL << 29);

    public void ReadConfig(int offset, Span<byte> data) => data.Clear();

    public void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
    }

    public void Activate(ulong features, IReadOnlyList<VirtQueue> queues, IVirtioInterrupt interrupt)
    {
        ArgumentNullException.ThrowIfNull(queues);
        ArgumentNullException.ThrowIfNull(interrupt);
        if (queues.Count != 1) throw new ArgumentException($"virtio-rng has 1 queue, the transport passed {queues.Count}", nameof(queues));
        lock (_gate)
        {
            _queue = queues[0];
            _interrupt = interrupt;
            // A restored session continues as it was saved: a device that had found its ring broken stays stopped.
            _needsReset = _restored is { NeedsReset: true };
            _restored = null;
        }
    }

    public void QueueNotify(int queueIndex)
    {
        if (queueIndex == 0) ServicePending();
    }

    /// <summary>Serves every request the quota allows. Call on the device I/O thread after <c>wake</c> was signalled.</summary>
    public void ServicePending()
    {
        lock (_gate)
        {
            var queue = _queue;
            var interrupt = _interrupt;
            // Held back while quiesced; Resume serves the queue.
            if (queue is null || interrupt is null || _needsReset || _quiesced) return;
            bool completed = false;
            while (true)
            {
                int budget = Budget();
                if (budget == 0)
                {
                    if (queue.HasAvailable()) Throttle();
                    break;
                }
                if (!queue.TryPopAvailable(out var chain, out var fault))
                {
                    if (!fault.IsError) break;
                    if (queue.TryFailRequest(fault))
                    {
                        completed = true;
                        continue;
                    }
                    _needsReset = true;
                    interrupt.SignalNeedsReset($"virtio-rng: {fault.Describe()}");
                    break;
                }
                uint written = Fill(chain, budget);
                _rate?.Consume(written);
                Interlocked.Add(ref _bytesServed, written);
                Interlocked.Increment(ref _requestsServed);
                queue.AddUsed(chain.HeadIndex, written);
                completed = true;
            }
            if (completed && queue.NeedsNotification()) interrupt.SignalUsedBuffers(0);
        }
    }

    public void Reset()
    {
        lock (_gate)
        {
            _queue = null;
            _interrupt = null;
            _needsReset = false;
            _restored = null;
        }
    }

    public void Dispose() => _refillTimer?.Dispose();

    /// <summary>Bytes the next request may have: the per-request cap, or less if the window's quota is lower.</summary>
    private int Budget()
    {
        if (_rate is null) return _maxPerRequest;
        return (int)Math.Min((ulong)_maxPerRequest, _rate.Available(_time.GetTimestamp()));
    }

    private uint Fill(DescriptorChain chain, int budget)
    {
        int done = 0;
        foreach (var segment in chain.Writable)
        {
            if (done == budget) break;
            int n = (int)Math.Min(segment.Length, (uint)(budget - done));
            // The walk validated the segment; guest RAM is still the one authority on what may be touched.
            if (!_memory.TryGetSpan(segment.Address, n, out var guest)) break;
            _source.Fill(guest);
            _memory.NotifyWritten(segment.Address, n);
            done += n;
        }
        return (uint)done;
    }

    private void Throttle()
    {
        if (_timerArmed || _rate is null || _refillTimer is null) return;
        _timerArmed = true;
        Interlocked.Increment(ref _throttled);
        long ticks = _rate.TicksUntilRefill(_time.GetTimestamp());
        _refillTimer.Change(TimeSpan.FromSeconds((double)ticks / _time.TimestampFrequency), Timeout.InfiniteTimeSpan);
    }

    private void OnRefill(Action wake)
    {
        lock (_gate) _timerArmed = false;
        wake();
    }
}
