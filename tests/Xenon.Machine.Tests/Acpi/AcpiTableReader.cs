using System.Buffers.Binary;
using System.Text;
using Xenon.Machine.Memory;

namespace Xenon.Machine.Tests.Acpi;

/// <summary>Walks the tables in guest memory the way an OS does, starting from the RSDP.</summary>
internal static class AcpiTableReader
{
    public static byte[] ReadTable(GuestMemory memory, ulong address)
    {
        uint length = memory.Read<uint>(address + 4);
        Assert.InRange(length, 36u, 0x10000u);
        var table = new byte[length];
        memory.Read(address, table);
        return table;
    }

    public static string Signature(ReadOnlySpan<byte> table) => Encoding.ASCII.GetString(table[..4]);

    public static ulong[] XsdtEntries(ReadOnlySpan<byte> xsdt)
    {
        var entries = new ulong[(xsdt.Length - 36) / 8];
        for (int i = 0; i < entries.Length; i++)
            entries[i] = BinaryPrimitives.ReadUInt64LittleEndian(xsdt[(36 + 8 * i)..]);
        return entries;
    }

    /// <summary>Every table reachable from the RSDP by signature (XSDT, its entries, DSDT and FACS from the FADT).</summary>
    public static Dictionary<string, (ulong Address, byte[] Bytes)> ReadAll(GuestMemory memory, ulong rsdp)
    {
        var all = new Dictionary<string, (ulong, byte[])>();
        var rsdpBytes = new byte[36];
        memory.Read(rsdp, rsdpBytes);
        all["RSD PTR "] = (rsdp, rsdpBytes);
        ulong xsdtAddress = BinaryPrimitives.ReadUInt64LittleEndian(rsdpBytes.AsSpan(24));
        ulong rsdtAddress = BinaryPrimitives.ReadUInt32LittleEndian(rsdpBytes.AsSpan(16));
        var xsdt = ReadTable(memory, xsdtAddress);
        all["XSDT"] = (xsdtAddress, xsdt);
        all["RSDT"] = (rsdtAddress, ReadTable(memory, rsdtAddress));
        foreach (var address in XsdtEntries(xsdt))
        {
            var t = ReadTable(memory, address);
            all[Signature(t)] = (address, t);
        }
        var fadt = all["FACP"].Item2;
        ulong dsdt = BinaryPrimitives.ReadUInt64LittleEndian(fadt.AsSpan(140));
        all["DSDT"] = (dsdt, ReadTable(memory, dsdt));
        ulong facs = BinaryPrimitives.ReadUInt32LittleEndian(fadt.AsSpan(36));
        var facsBytes = new byte[64];
        memory.Read(facs, facsBytes);
        all["FACS"] = (facs, facsBytes);
        return all;
    }

    public static int ByteSum(ReadOnlySpan<byte> data)
    {
        int sum = 0;
        foreach (var b in data) sum += b;
        return sum & 0xff;
    }
}
