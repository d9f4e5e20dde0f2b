namespace Xenon.Devices.Virtio.Balloon;

/// <summary>Tags of struct virtio_balloon_stat (le16 tag, le64 val, packed). Memory amounts are in bytes.</summary>
public enum BalloonStatTag : ushort
{
    SwapIn = 0,
    SwapOut = 1,
    MajorFaults = 2,
    MinorFaults = 3,
    FreeMemory = 4,
    TotalMemory = 5,
    AvailableMemory = 6,
    DiskCaches = 7,
    HugetlbAllocations = 8,
    HugetlbFailures = 9,

    // Linux 6.12 additions (not yet in the virtio spec).
    OomKills = 10,
    AllocationStalls = 11,
    AsyncScanned = 12,
    DirectScanned = 13,
    AsyncReclaimed = 14,
    DirectReclaimed = 15,
}
