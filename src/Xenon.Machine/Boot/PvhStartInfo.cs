using System.Buffers.Binary;

namespace Xenon.Machine.Boot;

/// <summary>
/// Layout of Xen's hvm_start_info (public/arch-x86/hvm/start_info.h, version 1) and of the
/// module-list and memory-map entries it points to. All fields little-endian.
/// </summary>
public static class PvhStartInfo
{
    public const uint Magic = 0x336ec578;
    public const uint Version = 1;

    public const int Size = 56;
    public const int MagicOffset = 0, VersionOffset = 4, FlagsOffset = 8, NrModulesOffset = 12;
    public const int ModlistPaddrOffset = 16, CmdlinePaddrOffset = 24, RsdpPaddrOffset = 32;
    public const int MemmapPaddrOffset = 40, MemmapEntriesOffset = 48;

    /// <summary>hvm_modlist_entry: paddr, size, cmdline_paddr, reserved (all u64).</summary>
    public const int ModuleEntrySize = 32;

    /// <summary>hvm_memmap_table_entry: addr (u64), size (u64), type (u32), reserved (u32).</summary>
    public const int MemoryMapEntrySize = 24;

    internal static void Write(Span<byte> info, ulong modlist, uint modules, ulong cmdline, ulong rsdp, ulong memmap, uint memmapEntries)
    {
        info[..Size].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(info[MagicOffset..], Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(info[VersionOffset..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(info[NrModulesOffset..], modules);
        BinaryPrimitives.WriteUInt64LittleEndian(info[ModlistPaddrOffset..], modlist);
        BinaryPrimitives.WriteUInt64LittleEndian(info[CmdlinePaddrOffset..], cmdline);
        BinaryPrimitives.WriteUInt64LittleEndian(info[RsdpPaddrOffset..], rsdp);
        BinaryPrimitives.WriteUInt64LittleEndian(info[MemmapPaddrOffset..], memmap);
        BinaryPrimitives.WriteUInt32LittleEndian(info[MemmapEntriesOffset..], memmapEntries);
    }

    internal static void WriteModule(Span<byte> entry, ulong address, ulong size)
    {
        entry[..ModuleEntrySize].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(entry, address);
        BinaryPrimitives.WriteUInt64LittleEndian(entry[8..], size);
    }

    internal static void WriteMemoryMapEntry(Span<byte> entry, E820Entry e)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(entry, e.Address);
        BinaryPrimitives.WriteUInt64LittleEndian(entry[8..], e.Size);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[16..], (uint)e.Type);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[20..], 0);
    }
}
