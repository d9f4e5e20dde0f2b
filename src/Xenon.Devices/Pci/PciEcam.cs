using Xenon.Machine.Bus;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Pci;

/// <summary>
/// PCI Express enhanced configuration access (ECAM, the window ACPI's MCFG announces): offset
/// bus &lt;&lt; 20 | device &lt;&lt; 15 | function &lt;&lt; 12 | register reaches the same configuration spaces as 0xCF8/0xCFC.
/// </summary>
public sealed class PciEcam : IMmioDevice
{
    private const int FunctionSpace = PciConfigSpace.ExtendedSize;

    private readonly PciRoot _root;

    public PciEcam(PciRoot root)
    {
        ArgumentNullException.ThrowIfNull(root);
        _root = root;
    }

    public void Register(MmioBus bus) => bus.Register(X86Layout.PciEcamBase, X86Layout.PciEcamSize, this);

    public void Read(ulong offset, Span<byte> data)
    {
        if (offset >= X86Layout.PciEcamSize) { data.Fill(0xff); return; }
        int register = (int)(offset & (FunctionSpace - 1));
        // An access crossing into the next function's space gets all-ones for the part outside.
        int inside = Math.Min(data.Length, FunctionSpace - register);
        data[inside..].Fill(0xff);
        _root.ReadConfig(Decode(offset), register, data[..inside]);
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (offset >= X86Layout.PciEcamSize) return;
        int register = (int)(offset & (FunctionSpace - 1));
        int inside = Math.Min(data.Length, FunctionSpace - register);
        _root.WriteConfig(Decode(offset), register, data[..inside]);
    }

    private static PciAddress Decode(ulong offset) =>
        new((byte)(offset >> 20), (byte)((offset >> 15) & 0x1f), (byte)((offset >> 12) & 7));
}
