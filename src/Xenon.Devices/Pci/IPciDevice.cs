namespace Xenon.Devices.Pci;

/// <summary>A PCI function as the root complex sees it: its configuration space and its BARs.</summary>
/// <remarks>Configuration accesses arrive serialised by <see cref="PciRoot"/> (on vCPU threads).
/// BAR placement is the root's job: after a guest write to the command register or a BAR, the root
/// reads <see cref="Config"/> and moves the BAR handlers on the buses; the device need not care.</remarks>
public interface IPciDevice
{
    /// <summary>For logs.</summary>
    string Name { get; }

    PciConfigSpace Config { get; }

    IReadOnlyList<PciBar> Bars { get; }

    /// <summary>A guest configuration read at <paramref name="offset"/> (0–4095); never throws.</summary>
    void ReadConfig(int offset, Span<byte> data);

    /// <summary>A guest configuration write at <paramref name="offset"/> (0–4095); never throws.</summary>
    void WriteConfig(int offset, ReadOnlySpan<byte> data);

    /// <summary>Platform reset: configuration space back to its reset image, device state cleared.</summary>
    void Reset();
}
