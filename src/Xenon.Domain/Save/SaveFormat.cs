namespace Xenon.Domain.Save;

/// <summary>Constants of the save/migration record stream (docs/save-format.md). All integers are little-endian.</summary>
public static class SaveFormat
{
    /// <summary>The eight bytes every stream starts with.</summary>
    public static ReadOnlySpan<byte> Magic => "XENONSAV"u8;

    /// <summary>The format version this build writes and reads.</summary>
    public const uint Version = 1;

    /// <summary>magic, version, flags, uuid, name length, reserved (the name and the header CRC follow).</summary>
    public const int HeaderFixedSize = 8 + 4 + 4 + 16 + 2 + 2;

    /// <summary>type, reserved, payload length.</summary>
    public const int RecordHeaderSize = 4 + 4 + 8;

    public const int CrcSize = 4;

    /// <summary>Set in a record type: a reader that does not know the type skips the record instead of failing.</summary>
    public const uint OptionalRecordBit = 0x8000_0000;

    public const int MaxDomainNameBytes = 255;

    public const int PageShift = 12;
    public const int PageSize = 1 << PageShift;

    /// <summary>Guest-physical addresses have at most 52 bits on x86-64, so page frame numbers have at most 40.</summary>
    public const int PhysicalAddressBits = 52;
    public const ulong MaxPfnExclusive = 1UL << (PhysicalAddressBits - PageShift);

    /// <summary>Pages the writer puts in one MemoryPages record (4 MiB of data at most).</summary>
    public const int PagesPerRecord = 1024;

    /// <summary>A MemoryPages entry: bits 0–51 the pfn, 52–59 zero, 60–63 the kind.</summary>
    public const int PageKindShift = 60;
    public const ulong PageEntryReservedMask = 0x0ff0_0000_0000_0000;
    public const ulong PagePfnMask = (1UL << 52) - 1;
    public const ulong PageKindData = 0;
    public const ulong PageKindZero = 1;

    public const int MaxRegions = 64;
    public const int MaxDeviceIdBytes = 128;
    public const int EndPayloadSize = 24;
}
