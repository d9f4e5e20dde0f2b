using System.Diagnostics;

namespace Xenon.Devices.Virtio.Net;

/// <summary>
/// How a virtio-net device talks to its driver, for finding latency rather than work: kicks, wake-ups, chains,
/// interrupts sent and suppressed (the driver's used_event / NO_INTERRUPT), and histograms of how long a transmit
/// chain waits from the wake-up that found it to its used-ring entry and to its interrupt. Written by the device's
/// I/O thread under its lock with plain increments and timestamps (no allocation); readable from any thread
/// (each value exact, a set of them not a snapshot). Not part of the saved state: a restored device starts at zero.
/// Times are microseconds of <see cref="Stopwatch"/> time; "wake" is when the device began serving a kick
/// (the ioeventfd's wake-up of the I/O thread is not visible here).
/// </summary>
public sealed class VirtioNetStats
{
    private long _txKicks, _txKicksUnasked, _txPollWakes, _txEmptyWakes, _txPasses, _txChains, _txGsoFrames;
    private long _txIrqSent, _txIrqSuppressed, _txIrqWantedLate;
    private long _rxKicks, _rxKicksServed, _rxBackendWakes, _rxFrames, _rxIrqSent, _rxIrqSuppressed, _rxRingEmpty;
    private long _lastTxKick, _lastTxIrq;

    /// <summary>Transmit-queue kicks the device served.</summary>
    public long TxKicks => Volatile.Read(ref _txKicks);

    /// <summary>Kicks that came while the device had asked for none (draining, or a driver that ignores suppression).</summary>
    public long TxKicksUnasked => Volatile.Read(ref _txKicksUnasked);

    /// <summary>Transmit wake-ups by the poll timer (<see cref="VirtioNet.TransmitPollNanoseconds"/>) rather than a kick.</summary>
    public long TxPollWakes => Volatile.Read(ref _txPollWakes);

    /// <summary>Transmit wake-ups (kick or timer) that found no chain.</summary>
    public long TxEmptyWakes => Volatile.Read(ref _txEmptyWakes);

    /// <summary>Drain passes: one per wake-up, plus one each time re-enabling kicks found chains added meanwhile.</summary>
    public long TxPasses => Volatile.Read(ref _txPasses);

    /// <summary>Frames handed to the backend (chains dropped as malformed are not among them).</summary>
    public long TxChains => Volatile.Read(ref _txChains);

    /// <summary>Chains whose header asked for segmentation (TSO): how much the guest batches per frame.</summary>
    public long TxGsoFrames => Volatile.Read(ref _txGsoFrames);

    public long TxInterruptsSent => Volatile.Read(ref _txIrqSent);

    /// <summary>Completions published without an interrupt because the driver asked for none yet.</summary>
    public long TxInterruptsSuppressed => Volatile.Read(ref _txIrqSuppressed);

    /// <summary>Wake-ups that found the driver had since moved used_event back over completions already published
    /// without an interrupt (it re-enabled interrupts after the device's check and must poll; a driver that does not
    /// would wait for this interrupt).</summary>
    public long TxInterruptsWantedLate => Volatile.Read(ref _txIrqWantedLate);

    public long RxKicks => Volatile.Read(ref _rxKicks);

    /// <summary>Receive kicks that did work (the device was waiting for buffers).</summary>
    public long RxKicksServed => Volatile.Read(ref _rxKicksServed);

    public long RxBackendWakes => Volatile.Read(ref _rxBackendWakes);

    public long RxFrames => Volatile.Read(ref _rxFrames);

    public long RxInterruptsSent => Volatile.Read(ref _rxIrqSent);

    public long RxInterruptsSuppressed => Volatile.Read(ref _rxIrqSuppressed);

    /// <summary>Times the receive ring ran dry with a frame waiting.</summary>
    public long RxRingEmpty => Volatile.Read(ref _rxRingEmpty);

    /// <summary>Chains found per transmit wake-up.</summary>
    public Log2Histogram TxChainsPerWake { get; } = new();

    /// <summary>Frame bytes per transmit chain (header excluded).</summary>
    public Log2Histogram TxFrameBytes { get; } = new();

    /// <summary>Microseconds the backend took to take one frame (the tap's writev, which runs the host's stack).</summary>
    public Log2Histogram TxSendMicros { get; } = new();

    /// <summary>Microseconds from the wake-up that found a chain to its used-ring entry (held completions: to when they were held).</summary>
    public Log2Histogram TxWakeToUsedMicros { get; } = new();

    /// <summary>Microseconds from a wake-up to the transmit interrupt that covers its chains.</summary>
    public Log2Histogram TxWakeToInterruptMicros { get; } = new();

    /// <summary>Microseconds from a transmit interrupt to the next transmit kick (the driver's turn-around).</summary>
    public Log2Histogram TxInterruptToKickMicros { get; } = new();

    /// <summary>Microseconds between transmit kicks.</summary>
    public Log2Histogram TxKickGapMicros { get; } = new();

    /// <summary>Frames delivered per receive wake-up.</summary>
    public Log2Histogram RxFramesPerWake { get; } = new();

    public static long Now() => Stopwatch.GetTimestamp();

    public static long Micros(long fromTimestamp, long toTimestamp) =>
        (long)((toTimestamp - fromTimestamp) * (1_000_000.0 / Stopwatch.Frequency));

    internal void TxKick(long now, bool asked)
    {
        Volatile.Write(ref _txKicks, _txKicks + 1);
        if (!asked) Volatile.Write(ref _txKicksUnasked, _txKicksUnasked + 1);
        if (_lastTxKick != 0) TxKickGapMicros.Record(Micros(_lastTxKick, now));
        if (_lastTxIrq != 0)
        {
            TxInterruptToKickMicros.Record(Micros(_lastTxIrq, now));
            _lastTxIrq = 0;
        }
        _lastTxKick = now;
    }

    internal void TxPollWake() => Volatile.Write(ref _txPollWakes, _txPollWakes + 1);

    internal void TxPass() => Volatile.Write(ref _txPasses, _txPasses + 1);

    internal void TxWake(int chains)
    {
        if (chains == 0) Volatile.Write(ref _txEmptyWakes, _txEmptyWakes + 1);
        TxChainsPerWake.Record(chains);
    }

    internal void TxSent(ulong frameBytes, bool gso, long sendStart, long sendEnd)
    {
        Volatile.Write(ref _txChains, _txChains + 1);
        if (gso) Volatile.Write(ref _txGsoFrames, _txGsoFrames + 1);
        TxFrameBytes.Record((long)frameBytes);
        TxSendMicros.Record(Micros(sendStart, sendEnd));
    }

    internal void TxUsed(long wake, long now) => TxWakeToUsedMicros.Record(Micros(wake, now));

    internal void TxInterrupt(bool sent, long wake, long now)
    {
        if (!sent)
        {
            Volatile.Write(ref _txIrqSuppressed, _txIrqSuppressed + 1);
            return;
        }
        Volatile.Write(ref _txIrqSent, _txIrqSent + 1);
        if (wake != 0) TxWakeToInterruptMicros.Record(Micros(wake, now));
        _lastTxIrq = now;
    }

    internal void TxInterruptWantedLate() => Volatile.Write(ref _txIrqWantedLate, _txIrqWantedLate + 1);

    internal void RxKick(bool served)
    {
        Volatile.Write(ref _rxKicks, _rxKicks + 1);
        if (served) Volatile.Write(ref _rxKicksServed, _rxKicksServed + 1);
    }

    internal void RxBackendWake() => Volatile.Write(ref _rxBackendWakes, _rxBackendWakes + 1);

    internal void RxWake(int frames, bool interruptNeeded, bool sent)
    {
        Volatile.Write(ref _rxFrames, _rxFrames + frames);
        RxFramesPerWake.Record(frames);
        if (!interruptNeeded) return;
        if (sent) Volatile.Write(ref _rxIrqSent, _rxIrqSent + 1);
        else Volatile.Write(ref _rxIrqSuppressed, _rxIrqSuppressed + 1);
    }

    internal void RxRingRanDry() => Volatile.Write(ref _rxRingEmpty, _rxRingEmpty + 1);

    /// <summary>Lines for a domain log (allocates; not for the hot path).</summary>
    public IEnumerable<string> Describe()
    {
        yield return $"tx: kicks {TxKicks} (unasked {TxKicksUnasked}), poll wakes {TxPollWakes}, empty wakes {TxEmptyWakes}, passes {TxPasses}, chains {TxChains} " +
            $"(gso {TxGsoFrames}), interrupts sent {TxInterruptsSent} suppressed {TxInterruptsSuppressed} wanted-late {TxInterruptsWantedLate}";
        yield return $"tx chains/wake: {TxChainsPerWake.Format("")}";
        yield return $"tx frame bytes: {TxFrameBytes.Format("")}";
        yield return $"tx send: {TxSendMicros.Format("us")}";
        yield return $"tx wake->used: {TxWakeToUsedMicros.Format("us")}";
        yield return $"tx wake->irq: {TxWakeToInterruptMicros.Format("us")}";
        yield return $"tx irq->kick: {TxInterruptToKickMicros.Format("us")}";
        yield return $"tx kick gap: {TxKickGapMicros.Format("us")}";
        yield return $"rx: kicks {RxKicks} (served {RxKicksServed}), backend wakes {RxBackendWakes}, frames {RxFrames}, " +
            $"interrupts sent {RxInterruptsSent} suppressed {RxInterruptsSuppressed}, ring dry {RxRingEmpty}";
        yield return $"rx frames/wake: {RxFramesPerWake.Format("")}";
    }
}
