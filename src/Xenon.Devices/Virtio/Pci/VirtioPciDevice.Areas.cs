using Xenon.Machine.Bus;

namespace Xenon.Devices.Virtio.Pci;

/// <summary>The four areas of the register BAR, each a thin MMIO adapter onto the transport.</summary>
public sealed partial class VirtioPciDevice
{
    private sealed class CommonArea(VirtioPciDevice owner) : IMmioDevice
    {
        public void Read(ulong offset, Span<byte> data) => owner.ReadCommon(offset, data);
        public void Write(ulong offset, ReadOnlySpan<byte> data) => owner.WriteCommon(offset, data);
    }

    /// <summary>Reading the ISR byte returns and clears it (and drops INTx); the rest of the area reads zero.</summary>
    private sealed class IsrArea(VirtioPciDevice owner) : IMmioDevice
    {
        public void Read(ulong offset, Span<byte> data)
        {
            data.Clear();
            if (offset == 0 && data.Length > 0) data[0] = owner._interrupt.ReadAndClear();
        }

        public void Write(ulong offset, ReadOnlySpan<byte> data) { }
    }

    private sealed class DeviceArea(VirtioPciDevice owner) : IMmioDevice
    {
        public void Read(ulong offset, Span<byte> data)
        {
            lock (owner._lock) owner._device.ReadConfig((int)offset, data);
        }

        public void Write(ulong offset, ReadOnlySpan<byte> data)
        {
            lock (owner._lock) owner._device.WriteConfig((int)offset, data);
        }
    }

    /// <summary>Doorbells: a write anywhere in queue q's 4 bytes kicks q (through the doorbell handler when one is set,
    /// so the queue is served on the device's I/O thread). Reads return zero.</summary>
    private sealed class NotifyArea(VirtioPciDevice owner) : IMmioDevice
    {
        public void Read(ulong offset, Span<byte> data) => data.Clear();

        public void Write(ulong offset, ReadOnlySpan<byte> data)
        {
            if (data.IsEmpty) return;
            int queue = (int)(offset / VirtioPciLayout.NotifyOffMultiplier);
            if (owner._doorbell is { } ring) ring(queue);
            else owner.NotifyQueue(queue);
        }
    }
}
