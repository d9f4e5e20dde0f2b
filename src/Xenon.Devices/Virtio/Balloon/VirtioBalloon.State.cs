using System.Buffers;
using Xenon.Devices.State;

namespace Xenon.Devices.Virtio.Balloon;

// Save, restore and quiescing (see VirtioBalloonState for what is kept and why the page set is not).
public sealed partial class VirtioBalloon
{
    private bool _quiesced;
    private VirtioBalloonState? _restored;

    public VirtioBalloonState GetState()
    {
        lock (_gate)
            return new VirtioBalloonState(_target, _actual, _queues is not null, _needsReset, _inflatedPages, _reportedPages, _invalidPfns,
                _discardFailures, _heldStatsHead, _latestStats);
    }

    /// <summary>
    /// Takes a saved state: the target, config actual, counters and last statistics at once; the driver session
    /// (inflated count, held statistics buffer, needs-reset) when the transport activates the device. The target is
    /// restored without a configuration interrupt: the guest saw the one the saving domain raised.
    /// </summary>
    /// <exception cref="ArgumentException">The state does not fit this guest's memory or is inconsistent.</exception>
    public void SetState(VirtioBalloonState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ulong ramPages = _memory.RamSize >> VirtioBalloonConfig.PfnShift;
        if (state.TargetPages > ramPages)
            throw new ArgumentException($"field 'target': {state.TargetPages} pages is more than this guest's {ramPages}", nameof(state));
        if (state.HeldStatsHead is ushort head && head >= _queueMaxSizes[0])
            throw new ArgumentException($"field 'stats buffer head': {head} is outside the queue's {_queueMaxSizes[0]} entries", nameof(state));
        if (!state.Active && (state.NeedsReset || state.InflatedPages != 0 || state.HeldStatsHead.HasValue))
            throw new ArgumentException("field 'active': a device the driver had not started has no inflated pages, stats buffer or needs-reset", nameof(state));
        lock (_gate)
        {
            _target = state.TargetPages;
            _actual = state.ActualPages;
            _reportedPages = state.ReportedPages;
            _invalidPfns = state.InvalidPfns;
            _discardFailures = state.DiscardFailures;
            _latestStats = state.LatestStats;
            _restored = state.Active ? state : null;
        }
    }

    /// <summary>The device's state as kind "virtio-balloon" (<see cref="VirtioBalloonStateCodec"/>). Call while quiesced.</summary>
    public int SaveState(IBufferWriter<byte> output) => VirtioBalloonStateCodec.Write(output, GetState());

    public void RestoreState(ReadOnlySpan<byte> state) =>
        StateApply.Apply(VirtioBalloonStateCodec.Kind, VirtioBalloonStateCodec.Read(state), SetState);

    /// <summary>Waits for the work in progress and holds kicks until <see cref="Resume"/>; <see cref="RequestStats"/> returns
    /// false meanwhile. <see cref="SetTarget"/> still works (it changes no guest memory; its interrupt is the transport's).</summary>
    public void Quiesce()
    {
        lock (_gate) _quiesced = true;
    }

    /// <summary>Serves every queue once on the calling thread and lets work through again.</summary>
    public void Resume()
    {
        lock (_gate)
        {
            if (!_quiesced) return;
            _quiesced = false;
        }
        for (int q = 0; q < _queueMaxSizes.Length; q++) QueueNotify(q);
    }

    /// <summary>
    /// Called by Activate (lock held, queues and roles set) with a restored session. A held statistics buffer on a
    /// queue the driver has no statistics queue for, or has nothing in flight on, means the state and the rings
    /// disagree: the device then needs a reset, as for a broken ring.
    /// </summary>
    private void ResumeSession(VirtioBalloonState saved)
    {
        _actual = saved.ActualPages;
        _inflatedPages = saved.InflatedPages;
        _needsReset = saved.NeedsReset;
        if (_needsReset || saved.HeldStatsHead is not ushort head) return;
        string? why = null;
        if (_statsQueue < 0) why = "a statistics buffer is held, but the driver did not negotiate the statistics queue";
        else if (head >= _queues![_statsQueue].Size) why = $"held statistics buffer {head} is outside the queue's {_queues[_statsQueue].Size} entries";
        else if (RestoredChain.InFlight(_queues[_statsQueue]) == 0) why = "a statistics buffer is held, but the driver has none in flight";
        if (why is null)
        {
            _heldStatsHead = head;
            return;
        }
        _needsReset = true;
        _interrupt!.SignalNeedsReset($"virtio-balloon: restored state: {why}");
    }
}
