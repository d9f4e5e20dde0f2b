using Xenon.Machine.Memory;

namespace Xenon.Machine.Boot;

/// <summary>
/// The physical memory map the guest is told about: RAM regions with the legacy BIOS area
/// [0x9fc00, 1 MiB) cut out and reported reserved (the ACPI tables live there), and the PCIe
/// ECAM window reserved so Linux trusts MCFG.
/// </summary>
public sealed class E820Map
{
    /// <summary>boot_params.e820_table holds at most this many entries.</summary>
    public const int MaxEntries = 128;

    private readonly E820Entry[] _entries;

    private E820Map(E820Entry[] entries) => _entries = entries;

    /// <summary>Entries sorted by address, non-overlapping.</summary>
    public IReadOnlyList<E820Entry> Entries => _entries;

    public static E820Map ForGuest(GuestMemory memory, bool reservePciEcam = true)
    {
        ArgumentNullException.ThrowIfNull(memory);
        var ram = new (ulong, ulong)[memory.Regions.Count];
        for (int i = 0; i < ram.Length; i++) ram[i] = (memory.Regions[i].GuestAddress, memory.Regions[i].Size);
        return FromRam(ram, reservePciEcam);
    }

    public static E820Map FromRam(IReadOnlyList<(ulong Gpa, ulong Size)> ram, bool reservePciEcam = true)
    {
        var reserved = new List<E820Entry> { new(X86Layout.EbdaStart, X86Layout.HighMemoryStart - X86Layout.EbdaStart, E820Type.Reserved) };
        if (reservePciEcam) reserved.Add(new(X86Layout.PciEcamBase, X86Layout.PciEcamSize, E820Type.Reserved));

        var entries = new List<E820Entry>(reserved);
        foreach (var (gpa, size) in ram)
        {
            if (size == 0) continue;
            if (gpa + size < gpa) throw new ArgumentException($"RAM region 0x{gpa:x}+0x{size:x} wraps around");
            AddRamMinus(entries, gpa, gpa + size, reserved);
        }
        entries.Sort((a, b) => a.Address.CompareTo(b.Address));
        for (int i = 1; i < entries.Count; i++)
            if (entries[i].Address < entries[i - 1].End)
                throw new ArgumentException($"memory map entries overlap: {entries[i - 1]} and {entries[i]}");
        if (entries.Count > MaxEntries)
            throw new ArgumentException($"memory map has {entries.Count} entries; at most {MaxEntries} can be passed to the guest");
        return new E820Map([.. entries]);
    }

    /// <summary>End of the RAM entry that starts at 1 MiB: where kernel, initrd and boot data must fit.</summary>
    public ulong LowRamEnd
    {
        get
        {
            foreach (var e in _entries)
                if (e.Type == E820Type.Ram && e.Address <= X86Layout.HighMemoryStart && e.End > X86Layout.HighMemoryStart)
                    return e.End;
            return X86Layout.HighMemoryStart;
        }
    }

    /// <summary>True if [address, address+length) lies inside one RAM entry.</summary>
    public bool IsRam(ulong address, ulong length)
    {
        foreach (var e in _entries)
            if (e.Type == E820Type.Ram && address >= e.Address && address < e.End && length <= e.End - address)
                return true;
        return false;
    }

    private static void AddRamMinus(List<E820Entry> into, ulong start, ulong end, List<E820Entry> holes)
    {
        foreach (var hole in holes)
        {
            if (hole.End <= start || hole.Address >= end) continue;
            if (hole.Address > start) AddRamMinus(into, start, hole.Address, holes);
            if (hole.End < end) AddRamMinus(into, hole.End, end, holes);
            return;
        }
        into.Add(new E820Entry(start, end - start, E820Type.Ram));
    }
}
