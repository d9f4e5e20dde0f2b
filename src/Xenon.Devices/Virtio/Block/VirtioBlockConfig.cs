using System.Buffers.Binary;

namespace Xenon.Devices.Virtio.Block;

/// <summary>
/// The device-specific configuration space (struct virtio_blk_config) this device exposes.
/// Fields for features it does not offer (size_max, geometry, topology, writeback, num_queues) read as zero.
/// </summary>
public readonly record struct VirtioBlockConfig(
    ulong CapacitySectors,
    uint SegMax,
    uint BlockSize,
    uint MaxDiscardSectors,
    uint MaxDiscardSegments,
    uint DiscardSectorAlignment,
    uint MaxWriteZeroesSectors,
    uint MaxWriteZeroesSegments,
    bool WriteZeroesMayUnmap)
{
    /// <summary>Bytes up to and including write_zeroes_may_unmap and its padding.</summary>
    public const int Size = 60;

    public const int CapacityOffset = 0;
    public const int SegMaxOffset = 12;
    public const int BlockSizeOffset = 20;
    public const int MaxDiscardSectorsOffset = 36;
    public const int MaxDiscardSegOffset = 40;
    public const int DiscardSectorAlignmentOffset = 44;
    public const int MaxWriteZeroesSectorsOffset = 48;
    public const int MaxWriteZeroesSegOffset = 52;
    public const int WriteZeroesMayUnmapOffset = 56;

    /// <summary>Writes the little-endian layout into <paramref name="destination"/> (at least <see cref="Size"/> bytes).</summary>
    public void Encode(Span<byte> destination)
    {
        var config = destination[..Size];
        config.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(config[CapacityOffset..], CapacitySectors);
        BinaryPrimitives.WriteUInt32LittleEndian(config[SegMaxOffset..], SegMax);
        BinaryPrimitives.WriteUInt32LittleEndian(config[BlockSizeOffset..], BlockSize);
        BinaryPrimitives.WriteUInt32LittleEndian(config[MaxDiscardSectorsOffset..], MaxDiscardSectors);
        BinaryPrimitives.WriteUInt32LittleEndian(config[MaxDiscardSegOffset..], MaxDiscardSegments);
        BinaryPrimitives.WriteUInt32LittleEndian(config[DiscardSectorAlignmentOffset..], DiscardSectorAlignment);
        BinaryPrimitives.WriteUInt32LittleEndian(config[MaxWriteZeroesSectorsOffset..], MaxWriteZeroesSectors);
        BinaryPrimitives.WriteUInt32LittleEndian(config[MaxWriteZeroesSegOffset..], MaxWriteZeroesSegments);
        config[WriteZeroesMayUnmapOffset] = WriteZeroesMayUnmap ? (byte)1 : (byte)0;
    }
}
