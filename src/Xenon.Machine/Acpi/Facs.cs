using System.Buffers.Binary;
using System.Text;

namespace Xenon.Machine.Acpi;

/// <summary>Firmware ACPI Control Structure: 64 bytes, no checksum, must be 64-byte aligned.</summary>
internal static class Facs
{
    public const int Length = 64;
    public const int Alignment = 64;

    public static byte[] Build()
    {
        var t = new byte[Length];
        Encoding.ASCII.GetBytes("FACS", t.AsSpan(0, 4));
        BinaryPrimitives.WriteUInt32LittleEndian(t.AsSpan(4), Length);
        t[32] = 2;  // version
        return t;
    }
}
