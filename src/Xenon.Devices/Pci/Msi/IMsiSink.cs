namespace Xenon.Devices.Pci.Msi;

/// <summary>Delivers a message-signalled interrupt: the write of <paramref name="data"/> to
/// <paramref name="address"/> a device would make (on x86, an address in 0xfee00000–0xfeefffff names the
/// destination APIC, the data the vector). The machine implements it over KVM_SIGNAL_MSI or an irqfd route.</summary>
/// <remarks>Called from device I/O threads and vCPU threads alike; must be thread-safe.</remarks>
public interface IMsiSink
{
    void SignalMsi(ulong address, uint data);
}
