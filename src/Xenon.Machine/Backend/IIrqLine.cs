namespace Xenon.Machine.Backend;

/// <summary>One interrupt input of the platform's interrupt controllers (an ISA IRQ / IOAPIC pin / GSI).</summary>
/// <remarks>Devices drive the line's level, like a wire. For an edge-triggered pin the controller
/// sees the low→high transitions. Safe to call from any thread.</remarks>
public interface IIrqLine
{
    int Gsi { get; }
    void SetLevel(bool high);
}

public static class IrqLineExtensions
{
    /// <summary>A low→high→low transition: one edge for an edge-triggered pin.</summary>
    public static void Pulse(this IIrqLine line)
    {
        line.SetLevel(true);
        line.SetLevel(false);
    }
}
