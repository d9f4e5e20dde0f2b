namespace Xenon.Machine.Boot;

/// <summary>Memory types of the BIOS E820 map (the same numbers Xen's hvm_memmap_table_entry uses).</summary>
public enum E820Type : uint
{
    Ram = 1,
    Reserved = 2,
    Acpi = 3,
    Nvs = 4,
    Unusable = 5,
}

/// <summary>One range of the guest's physical memory map.</summary>
public readonly record struct E820Entry(ulong Address, ulong Size, E820Type Type)
{
    public ulong End => Address + Size;

    public override string ToString() => $"[0x{Address:x}-0x{End:x}) {Type}";
}
