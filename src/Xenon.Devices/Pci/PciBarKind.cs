namespace Xenon.Devices.Pci;

/// <summary>What a base address register decodes.</summary>
public enum PciBarKind
{
    None = 0,
    /// <summary>Memory below 4 GiB; one BAR register.</summary>
    Memory32,
    /// <summary>Memory anywhere in 64-bit space; takes this BAR register and the next.</summary>
    Memory64,
    /// <summary>Port I/O; one BAR register.</summary>
    Io,
}
