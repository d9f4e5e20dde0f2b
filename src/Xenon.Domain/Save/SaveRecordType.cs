namespace Xenon.Domain.Save;

/// <summary>Record types of the save stream. Values with <see cref="SaveFormat.OptionalRecordBit"/> set are optional.</summary>
public enum SaveRecordType : uint
{
    /// <summary>The last record: totals of what came before.</summary>
    End = 0,

    /// <summary>The domain's configuration as UTF-8 JSON (the first record).</summary>
    DomainConfig = 1,

    /// <summary>Guest-physical RAM regions; pages may only name frames inside them.</summary>
    MemoryRegionMap = 2,

    /// <summary>A batch of pages: pfn entries, then the data of the non-zero ones.</summary>
    MemoryPages = 3,

    /// <summary>One vCPU's state: index, then the CPU backend's opaque bytes.</summary>
    VcpuState = 4,

    /// <summary>Machine-wide CPU backend state (interrupt controllers, clocks): opaque bytes.</summary>
    PlatformState = 5,

    /// <summary>One device's state: its id, then its blob (Xenon.Devices.State).</summary>
    DeviceState = 6,

    /// <summary>(Version 2, files only.) One memory region as a page-aligned image that follows the record in the
    /// file, with a CRC-32C per chunk; a restore maps it instead of reading it.</summary>
    MemoryImage = 7,
}
