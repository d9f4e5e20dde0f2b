using Xenon.Devices.Virtio;

namespace Xenon.Devices.Tests.VirtioBlock;

/// <summary>Counts used-buffer interrupts and records needs-reset reasons.</summary>
internal sealed class RecordingInterrupt : IVirtioInterrupt
{
    public int UsedBufferSignals { get; private set; }

    /// <summary>Signals for a queue other than 0 (virtio-blk has one); kept as a count so signalling allocates nothing.</summary>
    public int WrongQueueSignals { get; private set; }
    public List<string> NeedsResetReasons { get; } = [];

    public void SignalUsedBuffers(int queueIndex)
    {
        if (queueIndex != 0) WrongQueueSignals++;
        UsedBufferSignals++;
    }

    public void SignalNeedsReset(string why) => NeedsResetReasons.Add(why);
}
