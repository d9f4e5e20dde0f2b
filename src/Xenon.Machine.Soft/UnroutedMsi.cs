using Xenon.Machine.Interrupts;

namespace Xenon.Machine.Soft;

/// <summary>MSI delivery for a machine without local APICs: every message is dropped and counted.</summary>
internal sealed class UnroutedMsi : IMsiController
{
    private long _dropped;

    public long DroppedCount => Interlocked.Read(ref _dropped);

    public void SignalMsi(ulong address, uint data) => Interlocked.Increment(ref _dropped);
}
