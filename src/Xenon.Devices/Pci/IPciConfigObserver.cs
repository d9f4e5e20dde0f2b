namespace Xenon.Devices.Pci;

/// <summary>Told after the guest (or a restore) changes part of a configuration space it watches,
/// so capability models (MSI-X enable and mask bits) can act on the change.</summary>
/// <remarks>Called with the configuration space's owner serialising access; must not call back into it re-entrantly for writes.</remarks>
public interface IPciConfigObserver
{
    void ConfigWritten(int offset, int length);

    void ConfigReset();
}
