namespace Xenon.Devices.Virtio.Balloon;

/// <summary>struct virtio_balloon_config: le32 num_pages (device), le32 actual (driver), then fields for features not offered.</summary>
internal static class VirtioBalloonConfig
{
    /// <summary>Through poison_val; free_page_hint_cmd_id and poison_val read zero.</summary>
    public const int Size = 16;
    public const int NumPagesOffset = 0;
    public const int ActualOffset = 4;

    /// <summary>PFNs and page counts are in 4 KiB units whatever the guest's page size (VIRTIO_BALLOON_PFN_SHIFT).</summary>
    public const int PfnShift = 12;
    public const ulong PageSize = 1UL << PfnShift;
}
