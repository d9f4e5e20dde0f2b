namespace Xenon.Domain.Save;

/// <summary>Constants of the save/migration record stream (docs/save-format.md). All integers are little-endian.</summary>
public static class SaveFormat
{
    /// <summary>The eight bytes every stream starts with.</summary>
    public static ReadOnlySpan<byte> Magic => "XENONSAV"u8;

    /// <summary>The format version this build writes. Version 2 added the MemoryImage record (a file's memory as
    /// page-aligned images that a restore maps instead of reading).</summary>
    public const uint Version = 2;

    /// <summary>The oldest version this build reads: a version-1 file (memory as MemoryPages only) is restored eagerly.</summary>
    public const uint OldestReadableVersion = 1;

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

    /// <summary>A MemoryImage's data starts at a multiple of this in the file (the host page size, for mmap).</summary>
    public const int ImageAlignment = 4096;

    /// <summary>The span of guest memory one CRC-32C of a MemoryImage covers (the writer's choice; the record says).</summary>
    public const int DefaultImageChunkSize = 2 << 20;
    public const int MinImageChunkSize = PageSize;
    public const int MaxImageChunkSize = 64 << 20;

    /// <summary>region index, chunk size, image offset, data pages, chunk count, reserved (the chunk table follows).</summary>
    public const int ImageRecordFixedSize = 4 + 4 + 8 + 8 + 4 + 4;

    /// <summary>A chunk table entry: CRC-32C (u32), then the kind (u32).</summary>
    public const int ImageChunkEntrySize = 8;

    /// <summary>The chunk's bytes are in the file (its zero pages as holes).</summary>
    public const uint ImageChunkData = 0;

    /// <summary>The chunk is all zero: nothing of it is read (its bytes in the file are a hole), and its CRC field is 0.</summary>
    public const uint ImageChunkZero = 1;
    public const int MaxDeviceIdBytes = 128;
    public const int EndPayloadSize = 24;
}
