using System.Buffers.Binary;
using Xenon.Devices.Virtio.Block;

namespace Xenon.Devices.Tests.VirtioBlock;

/// <summary>Device identity, features and the virtio_blk_config layout.</summary>
public sealed class VirtioBlockConfigTests : IDisposable
{
    private readonly BlockRig _rig = new(sectors: 64, queueSize: 128);

    public void Dispose() => _rig.Dispose();

    private uint Read32(int offset)
    {
        Span<byte> b = stackalloc byte[4];
        _rig.Device.ReadConfig(offset, b);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    [Fact]
    public void IdentityAndFeatures()
    {
        var device = _rig.Device;
        Assert.Equal(2, device.DeviceType);
        Assert.Equal([(ushort)128], device.QueueMaxSizes);
        ulong expected = VirtioBlockFeatures.SegMax | VirtioBlockFeatures.BlkSize | VirtioBlockFeatures.Flush
            | VirtioBlockFeatures.Discard | VirtioBlockFeatures.WriteZeroes
            | VirtioBlockFeatures.RingIndirectDesc | VirtioBlockFeatures.RingEventIdx;
        Assert.Equal(expected, device.DeviceFeatures);
        Assert.Equal(0UL, device.DeviceFeatures & (VirtioBlockFeatures.ReadOnly | VirtioBlockFeatures.MultiQueue | VirtioBlockFeatures.ConfigWce));
    }

    [Fact]
    public void ConfigFieldsAtSpecOffsets()
    {
        Span<byte> cap = stackalloc byte[8];
        _rig.Device.ReadConfig(0, cap);
        Assert.Equal(64UL, BinaryPrimitives.ReadUInt64LittleEndian(cap));
        Assert.Equal(0u, Read32(8));          // size_max: not offered
        Assert.Equal(126u, Read32(12));       // seg_max = queue size - 2
        Assert.Equal(0u, Read32(16));         // geometry: not offered
        Assert.Equal(512u, Read32(20));       // blk_size
        Assert.Equal(0u, Read32(24));         // topology: not offered
        Assert.Equal(0u, Read32(32));         // writeback, unused0, num_queues
        Assert.Equal(Xenon.Devices.Virtio.Block.VirtioBlock.MaxDiscardSectors, Read32(36));
        Assert.Equal(1u, Read32(40));         // max_discard_seg
        Assert.Equal(1u, Read32(44));         // discard_sector_alignment
        Assert.Equal(Xenon.Devices.Virtio.Block.VirtioBlock.MaxWriteZeroesSectors, Read32(48));
        Assert.Equal(1u, Read32(52));         // max_write_zeroes_seg
        Assert.Equal(0u, Read32(56));         // write_zeroes_may_unmap + padding
    }

    [Fact]
    public void PartialAndOutOfRangeReads()
    {
        Span<byte> one = stackalloc byte[1];
        _rig.Device.ReadConfig(21, one);
        Assert.Equal(2, one[0]); // 512 = 0x0200, little-endian
        Span<byte> straddle = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        _rig.Device.ReadConfig(VirtioBlockConfig.Size - 2, straddle);
        Assert.Equal(new byte[8], straddle.ToArray());
        Assert.Equal(0u, Read32(VirtioBlockConfig.Size));
        Assert.Equal(0u, Read32(4096));
        Assert.Equal(0u, Read32(-4));
        Assert.Equal(0u, Read32(int.MaxValue));
    }

    [Fact]
    public void ConfigWritesAreIgnored()
    {
        _rig.Device.WriteConfig(0, [1, 2, 3, 4]);
        _rig.Device.WriteConfig(-1, [1]);
        _rig.Device.WriteConfig(int.MaxValue, [1]);
        Span<byte> cap = stackalloc byte[8];
        _rig.Device.ReadConfig(0, cap);
        Assert.Equal(64UL, BinaryPrimitives.ReadUInt64LittleEndian(cap));
    }

    [Fact]
    public void ReadOnlyDiskOffersRo()
    {
        using var rig = new BlockRig(readOnly: true);
        Assert.NotEqual(0UL, rig.Device.DeviceFeatures & VirtioBlockFeatures.ReadOnly);
        Assert.True(rig.Backend.IsReadOnly);
    }

    [Fact]
    public void InvalidQueueSizeIsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Xenon.Devices.Virtio.Block.VirtioBlock(_rig.Memory, _rig.Backend, queueSize: 100));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Xenon.Devices.Virtio.Block.VirtioBlock(_rig.Memory, _rig.Backend, queueSize: 2));
    }
}
