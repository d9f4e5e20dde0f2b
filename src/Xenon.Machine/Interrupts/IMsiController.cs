namespace Xenon.Machine.Interrupts;

/// <summary>Delivers message-signalled interrupts: what a PCI device's MSI/MSI-X write to 0xFEExxxxx would do.
/// Thread-safe; callable from any device I/O thread.</summary>
public interface IMsiController
{
    /// <summary>Signals the MSI described by <paramref name="address"/> and <paramref name="data"/>, as the
    /// guest programmed them into the device's MSI capability or MSI-X table.</summary>
    void SignalMsi(ulong address, uint data);
}
