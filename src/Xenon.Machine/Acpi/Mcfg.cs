namespace Xenon.Machine.Acpi;

/// <summary>PCI Express memory-mapped configuration table: one ECAM window for segment 0.</summary>
internal static class Mcfg
{
    public static byte[] Build(ulong ecamBase, byte startBus, byte endBus)
    {
        var w = AcpiTableWriter.BeginTable("MCFG", 1);
        w.Zeros(8);
        w.U64(ecamBase).U16(0).U8(startBus).U8(endBus).U32(0);
        return w.Finish();
    }
}
