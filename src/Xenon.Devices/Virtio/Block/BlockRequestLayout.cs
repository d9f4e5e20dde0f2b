namespace Xenon.Devices.Virtio.Block;

/// <summary>Sizes and offsets of the virtio-blk request structures (virtio 1.x, "Device Operation").</summary>
internal static class BlockRequestLayout
{
    public const int SectorSize = 512;
    public const int SectorShift = 9;

    /// <summary>struct virtio_blk_req's header: le32 type, le32 reserved, le64 sector.</summary>
    public const int HeaderSize = 16;
    public const int HeaderTypeOffset = 0;
    public const int HeaderSectorOffset = 8;

    /// <summary>struct virtio_blk_discard_write_zeroes: le64 sector, le32 num_sectors, le32 flags.</summary>
    public const int SegmentSize = 16;
    public const int SegmentSectorOffset = 0;
    public const int SegmentCountOffset = 8;
    public const int SegmentFlagsOffset = 12;
    public const uint SegmentFlagUnmap = 1;

    /// <summary>GET_ID answers with a 20-byte serial, NUL-padded, not necessarily NUL-terminated.</summary>
    public const int IdBytes = 20;
}
