using Xenon.Devices.Virtio;

namespace Xenon.Devices.Tests.VirtioNet;

/// <summary>Counts used-buffer interrupts per queue (rx 0, tx 1) and records needs-reset reasons.</summary>
internal sealed class NetInterrupt : IVirtioInterrupt
{
    private readonly int[] _signals = new int[2];

    public int OtherQueueSignals { get; private set; }
    public List<string> NeedsResetReasons { get; } = [];

    public int Signals(int queue) => Volatile.Read(ref _signals[queue]);

    /// <summary>The counter itself, for tests that wait for a signal raised on another thread.</summary>
    public ref int SignalCount(int queue) => ref _signals[queue];

    public void SignalUsedBuffers(int queueIndex)
    {
        if ((uint)queueIndex < 2) Interlocked.Increment(ref _signals[queueIndex]);
        else OtherQueueSignals++;
    }

    public void SignalNeedsReset(string why) => NeedsResetReasons.Add(why);
}
