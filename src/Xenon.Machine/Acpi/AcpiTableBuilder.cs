using Xenon.Machine.Memory;

namespace Xenon.Machine.Acpi;

/// <summary>
/// Writes the machine's ACPI tables into guest memory inside the BIOS area
/// [<see cref="TableAreaStart"/>, <see cref="TableAreaEnd"/>), which E820 reports as reserved.
/// The RSDP goes first, 16-byte aligned, so an OS that scans 0xE0000–0xFFFFF finds it too.
/// </summary>
public static class AcpiTableBuilder
{
    public const ulong TableAreaStart = 0xe0000;
    public const ulong TableAreaEnd = 0x100000;

    /// <summary>Builds RSDP, XSDT, RSDT, FADT, FACS, DSDT, MADT and MCFG for a PC with
    /// <paramref name="vcpus"/> online vCPUs out of <paramref name="maxVcpus"/> possible, and
    /// returns the guest-physical address of the RSDP.</summary>
    public static ulong Write(GuestMemory memory, int vcpus, int maxVcpus)
    {
        ArgumentNullException.ThrowIfNull(memory);
        Madt.ValidateCounts(vcpus, maxVcpus);
        if (!memory.IsValidRange(TableAreaStart, TableAreaEnd - TableAreaStart))
            throw new InvalidOperationException($"guest RAM does not cover the ACPI table area 0x{TableAreaStart:x}-0x{TableAreaEnd:x}");

        var area = new Placement(memory);
        ulong rsdp = area.Reserve(Rsdp.Length, 16);

        ulong facs = area.Place(Facs.Build(), Facs.Alignment);
        ulong dsdt = area.Place(Dsdt.Build(maxVcpus), 16);
        ulong fadt = area.Place(Fadt.Build(dsdt, facs), 16);
        ulong madt = area.Place(Madt.Build(vcpus, maxVcpus), 16);
        ulong mcfg = area.Place(Mcfg.Build(X86Layout.PciEcamBase, 0, X86Layout.PciLastBus), 16);

        ReadOnlySpan<ulong> tables = [fadt, madt, mcfg];
        ulong xsdt = area.Place(RootTables.BuildXsdt(tables), 16);
        ulong rsdt = area.Place(RootTables.BuildRsdt(tables), 16);

        memory.Write(rsdp, Rsdp.Build((uint)rsdt, xsdt));
        return rsdp;
    }

    /// <summary>Bump allocator over the table area.</summary>
    private sealed class Placement(GuestMemory memory)
    {
        private ulong _next = TableAreaStart;

        public ulong Reserve(int length, ulong alignment)
        {
            ulong at = (_next + alignment - 1) & ~(alignment - 1);
            if (at + (ulong)length > TableAreaEnd)
                throw new InvalidOperationException($"ACPI tables do not fit in 0x{TableAreaStart:x}-0x{TableAreaEnd:x}");
            _next = at + (ulong)length;
            return at;
        }

        public ulong Place(byte[] table, ulong alignment)
        {
            ulong at = Reserve(table.Length, alignment);
            memory.Write(at, table);
            return at;
        }
    }
}
