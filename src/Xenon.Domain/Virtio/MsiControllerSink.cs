using Xenon.Devices.Pci.Msi;
using Xenon.Machine.Interrupts;

namespace Xenon.Domain.Virtio;

/// <summary>Lets PCI devices (which only know <see cref="IMsiSink"/>) deliver through the machine's MSI controller.</summary>
internal sealed class MsiControllerSink(IMsiController controller) : IMsiSink
{
    public void SignalMsi(ulong address, uint data) => controller.SignalMsi(address, data);
}
