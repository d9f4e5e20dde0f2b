using System.Buffers;
using Xenon.Devices.State;

namespace Xenon.Devices.Virtio.Rng;

// Save, restore and quiescing.
public sealed partial class VirtioRng
{
    private bool _quiesced;
    private VirtioRngState? _restored;

    public VirtioRngState GetState()
    {
        lock (_gate)
        {
            var (open, used, elapsedTicks) = _rate?.GetState(_time.GetTimestamp()) ?? (false, 0, 0);
            Int128 ns = (Int128)elapsedTicks * 1_000_000_000 / _time.TimestampFrequency;
            ulong elapsedNs = ns > VirtioRngStateCodec.MaxElapsedNanoseconds ? VirtioRngStateCodec.MaxElapsedNanoseconds : (ulong)ns;
            return new VirtioRngState(_queue is not null, _needsReset, BytesServed, RequestsServed, ThrottleEvents, open, used, elapsedNs);
        }
    }

    /// <summary>
    /// Takes a saved state: counters and the rate window at once (a device without a rate limit ignores the window),
    /// needs-reset when the transport activates the device.
    /// </summary>
    /// <exception cref="ArgumentException">The state is inconsistent.</exception>
    public void SetState(VirtioRngState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.BytesServed < 0 || state.RequestsServed < 0 || state.ThrottleEvents < 0)
            throw new ArgumentException("field 'bytes served': counts cannot be negative", nameof(state));
        if (state.NeedsReset && !state.Active)
            throw new ArgumentException("field 'needs reset': set on a device the driver had not started", nameof(state));
        if (!state.WindowOpen && (state.WindowUsed != 0 || state.WindowElapsedNanoseconds != 0))
            throw new ArgumentException("field 'window used': a closed window has no bytes used or age", nameof(state));
        if (state.WindowElapsedNanoseconds > VirtioRngStateCodec.MaxElapsedNanoseconds)
            throw new ArgumentException($"field 'window elapsed': {state.WindowElapsedNanoseconds} ns is not a window's age", nameof(state));
        lock (_gate)
        {
            Interlocked.Exchange(ref _bytesServed, state.BytesServed);
            Interlocked.Exchange(ref _requestsServed, state.RequestsServed);
            Interlocked.Exchange(ref _throttled, state.ThrottleEvents);
            // TimeScale, not Int128: see there (this ran, compiled on first use, inside a restore).
            long ticks = TimeScale.MulDiv((long)state.WindowElapsedNanoseconds, _time.TimestampFrequency, 1_000_000_000);
            _rate?.SetState(state.WindowOpen, state.WindowUsed, ticks, _time.GetTimestamp());
            _restored = state.Active ? state : null;
        }
    }

    /// <summary>The device's state as kind "virtio-rng" (<see cref="VirtioRngStateCodec"/>). Call while quiesced.</summary>
    public int SaveState(IBufferWriter<byte> output) => VirtioRngStateCodec.Write(output, GetState());

    public void RestoreState(ReadOnlySpan<byte> state) =>
        StateApply.Apply(VirtioRngStateCodec.Kind, VirtioRngStateCodec.Read(state), SetState);

    /// <summary>Waits for the request in progress and holds kicks and refill wake-ups until <see cref="Resume"/>.</summary>
    public void Quiesce()
    {
        lock (_gate) _quiesced = true;
    }

    /// <summary>Serves the queue once on the calling thread and lets work through again.</summary>
    public void Resume()
    {
        lock (_gate)
        {
            if (!_quiesced) return;
            _quiesced = false;
        }
        ServicePending();
    }
}
