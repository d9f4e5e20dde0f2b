namespace Xenon.Devices.Virtio.Balloon;

// The statistics queue (virtio 1.x §5.5.6.3): the driver offers one buffer filled with statistics; the device
// reads it and keeps it. To ask for fresh numbers the device returns the buffer (used, length 0); the driver
// refills it and offers it again, and the device reads the new numbers on that kick.
public sealed partial class VirtioBalloon
{
    /// <summary>
    /// Asks the guest for fresh statistics by returning the buffer it last filled. True if a request went out;
    /// false when the driver has not (yet) offered a buffer (no STATS_VQ, not running, or a request in flight).
    /// Periodic polling is the caller's: call this on a timer (QEMU's guest-stats-polling-interval).
    /// </summary>
    public bool RequestStats()
    {
        lock (_gate)
        {
            if (_queues is not { } queues || _interrupt is not { } interrupt || _needsReset || _quiesced || _statsQueue < 0) return false;
            if (_heldStatsHead is not ushort head) return false;
            var queue = queues[_statsQueue];
            _heldStatsHead = null;
            if (!queue.AddUsed(head, 0)) return false;
            if (queue.NeedsNotification()) interrupt.SignalUsedBuffers(_statsQueue);
            return true;
        }
    }

    /// <summary>Reads each offered stats buffer into <see cref="LatestStats"/> and holds it until the next request.</summary>
    private bool ReceiveStats(int q)
    {
        bool completed = false;
        while (Pop(q, ref completed) is { } chain)
        {
            // A driver following the spec never offers a second buffer while the device holds one; if it does,
            // the older one goes back so it is not lost to the driver.
            if (_heldStatsHead is ushort older)
            {
                _queues![q].AddUsed(older, 0);
                completed = true;
            }
            _latestStats = BalloonStats.Parse(chain, _time.GetUtcNow());
            _heldStatsHead = chain.HeadIndex;
        }
        return completed;
    }
}
