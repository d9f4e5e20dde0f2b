using System.Buffers.Binary;
using System.Text;

namespace Xenon.Machine.Acpi;

/// <summary>Root System Description Pointer, revision 2 (ACPI 2.0+ form, 36 bytes).</summary>
internal static class Rsdp
{
    public const int Length = 36;
    public const int V1Length = 20;

    public static byte[] Build(uint rsdtAddress, ulong xsdtAddress)
    {
        var t = new byte[Length];
        Encoding.ASCII.GetBytes("RSD PTR ", t.AsSpan(0, 8));
        Encoding.ASCII.GetBytes(AcpiTableWriter.OemId, t.AsSpan(9, 6));
        t[15] = 2;                                                  // revision: XSDT present
        BinaryPrimitives.WriteUInt32LittleEndian(t.AsSpan(16), rsdtAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(t.AsSpan(20), Length);
        BinaryPrimitives.WriteUInt64LittleEndian(t.AsSpan(24), xsdtAddress);
        // Two checksums: ACPI 1.0 readers check only the first 20 bytes.
        t[8] = AcpiTableWriter.Checksum(t.AsSpan(0, V1Length));
        t[32] = AcpiTableWriter.Checksum(t.AsSpan(0, Length));
        return t;
    }
}
