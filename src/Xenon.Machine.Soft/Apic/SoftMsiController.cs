using Xenon.Machine.Interrupts;

namespace Xenon.Machine.Soft.Apic;

/// <summary>
/// MSI for the soft backend: a message (address 0xFEExxxxx: destination ID in bits 12–19, destination mode in bit 2;
/// data: vector, delivery mode, trigger mode) goes to the local APICs it names, which wake their vCPU. Thread-safe:
/// device I/O threads call it. A message that is not an interrupt (address outside 0xFEExxxxx, an illegal vector, a
/// start-up or reserved delivery mode) or that matches no APIC is dropped and counted, as hardware drops it.
/// </summary>
internal sealed class SoftMsiController(ApicBus bus) : IMsiController
{
    private long _delivered, _dropped;

    public long DeliveredCount => Interlocked.Read(ref _delivered);
    public long DroppedCount => Interlocked.Read(ref _dropped);

    public void SignalMsi(ulong address, uint data)
    {
        var mode = (DeliveryMode)((data >> 8) & 7);
        byte vector = (byte)data;
        bool valid = address >> 20 == 0xFEE && mode switch
        {
            DeliveryMode.Fixed or DeliveryMode.LowestPriority => vector >= 16,
            DeliveryMode.Nmi or DeliveryMode.Init or DeliveryMode.ExtInt or DeliveryMode.Smi => true,
            _ => false,
        };
        bool level = (data & (1u << 15)) != 0;
        var message = new ApicMessage(vector, mode, (address & (1UL << 2)) != 0, (byte)(address >> 12), level,
            Assert: !level || (data & (1u << 14)) != 0);
        if (valid && bus.Deliver(message) > 0) Interlocked.Increment(ref _delivered);
        else Interlocked.Increment(ref _dropped);
    }
}
