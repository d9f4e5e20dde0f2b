namespace Xenon.Machine.Acpi;

/// <summary>The XSDT (64-bit table pointers) and, for ACPI 1.0 readers, the RSDT (32-bit).</summary>
internal static class RootTables
{
    public static byte[] BuildXsdt(ReadOnlySpan<ulong> tables)
    {
        var w = AcpiTableWriter.BeginTable("XSDT", 1);
        foreach (var t in tables) w.U64(t);
        return w.Finish();
    }

    public static byte[] BuildRsdt(ReadOnlySpan<ulong> tables)
    {
        var w = AcpiTableWriter.BeginTable("RSDT", 1);
        foreach (var t in tables)
        {
            if (t > uint.MaxValue) throw new ArgumentOutOfRangeException(nameof(tables), "RSDT entries must be below 4 GiB");
            w.U32((uint)t);
        }
        return w.Finish();
    }
}
