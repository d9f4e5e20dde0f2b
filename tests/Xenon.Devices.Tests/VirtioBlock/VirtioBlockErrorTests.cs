using Xenon.Devices.Virtio.Block;
using Xenon.Devices.Virtio.Queue;

namespace Xenon.Devices.Tests.VirtioBlock;

/// <summary>Malformed, out-of-range and unsupported requests, and faulty rings.</summary>
public sealed class VirtioBlockErrorTests : IDisposable
{
    private readonly BlockRig _rig = new(sectors: 64);

    public void Dispose() => _rig.Dispose();

    [Theory]
    [InlineData(64UL, 512u)]            // starts at capacity
    [InlineData(63UL, 1024u)]           // ends past capacity
    [InlineData(ulong.MaxValue, 512u)]  // sector arithmetic would overflow
    [InlineData(1UL << 55, 512u)]       // byte offset would overflow
    public void OutOfRangeReadIsIoErrorAndWritesNoData(ulong sector, uint length)
    {
        _rig.Memory.Write(BlockRig.DataAddress, Enumerable.Repeat((byte)0x5A, (int)length).ToArray());
        Assert.Equal((BlockStatus.IoError, 1u), _rig.Read(sector, BlockRig.DataAddress, length));
        Assert.All(_rig.GuestBytes(BlockRig.DataAddress, (int)length), b => Assert.Equal(0x5A, b));
    }

    [Theory]
    [InlineData(64UL, 512u)]
    [InlineData(60UL, 8 * 512u)]
    [InlineData(ulong.MaxValue, 512u)]
    public void OutOfRangeWriteIsIoErrorAndLeavesImage(ulong sector, uint length)
    {
        Assert.Equal((BlockStatus.IoError, 1u), _rig.Write(sector, BlockRig.DataAddress, length));
        Assert.Equal(_rig.Initial, _rig.ImageBytes());
    }

    [Theory]
    [InlineData(1u)]
    [InlineData(100u)]
    [InlineData(513u)]
    [InlineData(1000u)]
    public void LengthNotMultipleOfSectorIsIoError(uint length)
    {
        Assert.Equal((BlockStatus.IoError, 1u), _rig.Write(0, BlockRig.DataAddress, length));
        Assert.Equal((BlockStatus.IoError, 1u), _rig.Read(0, BlockRig.DataAddress, length));
        Assert.Equal(_rig.Initial, _rig.ImageBytes());
    }

    [Fact]
    public void LastSectorOfImageWithTrailingPartialSectorIsReachableButNotBeyond()
    {
        using var rig = new BlockRig(sectors: 4, extraBytes: 100);
        Assert.Equal(4UL, rig.Device.Config.CapacitySectors);
        Assert.Equal(BlockStatus.Ok, rig.Read(3, BlockRig.DataAddress, 512).Status);
        Assert.Equal(BlockStatus.IoError, rig.Read(4, BlockRig.DataAddress, 512).Status);
        Assert.Equal(BlockStatus.IoError, rig.Write(4, BlockRig.DataAddress, 512).Status);
        Assert.Equal(rig.Initial.Length, rig.ImageBytes().Length);
    }

    [Theory]
    [InlineData(3u)]
    [InlineData(10u)]    // GET_LIFETIME: not offered
    [InlineData(14u)]    // SECURE_ERASE
    [InlineData(99u)]
    [InlineData(uint.MaxValue)]
    public void UnknownTypeIsUnsupported(uint type)
    {
        _rig.WriteHeader(type, 0);
        Assert.Equal((BlockStatus.Unsupported, 1u), _rig.Request((BlockRig.DataAddress, 512, true)));
        Assert.Equal(_rig.Initial, _rig.ImageBytes());
    }

    [Fact]
    public void HeaderTooShortIsIoError()
    {
        _rig.WriteHeader(BlockRequestType.Out, 0);
        _rig.Memory.Write<byte>(BlockRig.StatusAddress, 0xEE);
        var used = _rig.Submit((BlockRig.HeaderAddress, 8, false), (BlockRig.StatusAddress, 1, true));
        Assert.Equal(1u, used.Length);
        Assert.Equal((byte)BlockStatus.IoError, _rig.Memory.Read<byte>(BlockRig.StatusAddress));
    }

    [Fact]
    public void NoReadableHeaderAtAllIsIoError()
    {
        _rig.Memory.Write<byte>(BlockRig.StatusAddress, 0xEE);
        var used = _rig.Submit((BlockRig.StatusAddress, 1, true));
        Assert.Equal(1u, used.Length);
        Assert.Equal((byte)BlockStatus.IoError, _rig.Memory.Read<byte>(BlockRig.StatusAddress));
    }

    [Fact]
    public void MissingStatusByteCompletesWithZeroLengthAndTouchesNothing()
    {
        _rig.WriteHeader(BlockRequestType.Out, 0);
        _rig.Memory.Write(BlockRig.DataAddress, new byte[512]);
        var used = _rig.Submit((BlockRig.HeaderAddress, 16, false), (BlockRig.DataAddress, 512, false));
        Assert.Equal(0u, used.Length);
        Assert.Equal(_rig.Initial, _rig.ImageBytes());
        Assert.Empty(_rig.Interrupt.NeedsResetReasons);
    }

    [Fact]
    public void DiscardAndWriteZeroesBoundsAndFlags()
    {
        Assert.Equal(BlockStatus.IoError, _rig.DiscardOrWriteZeroes(BlockRequestType.WriteZeroes, 60, 5).Status);
        Assert.Equal(BlockStatus.IoError, _rig.DiscardOrWriteZeroes(BlockRequestType.WriteZeroes, ulong.MaxValue, 1).Status);
        Assert.Equal(BlockStatus.IoError, _rig.DiscardOrWriteZeroes(BlockRequestType.Discard, 64, 1).Status);
        Assert.Equal(BlockStatus.IoError, _rig.DiscardOrWriteZeroes(BlockRequestType.WriteZeroes, 0, Xenon.Devices.Virtio.Block.VirtioBlock.MaxWriteZeroesSectors + 1).Status);
        Assert.Equal(BlockStatus.IoError, _rig.DiscardOrWriteZeroes(BlockRequestType.Discard, 0, Xenon.Devices.Virtio.Block.VirtioBlock.MaxDiscardSectors + 1).Status);
        // UNMAP is meaningless for discard; unknown flags are refused for both.
        Assert.Equal(BlockStatus.Unsupported, _rig.DiscardOrWriteZeroes(BlockRequestType.Discard, 0, 1, flags: 1).Status);
        Assert.Equal(BlockStatus.Unsupported, _rig.DiscardOrWriteZeroes(BlockRequestType.WriteZeroes, 0, 1, flags: 2).Status);
        Assert.Equal(BlockStatus.Unsupported, _rig.DiscardOrWriteZeroes(BlockRequestType.Discard, 0, 1, flags: 0x80000000).Status);
        Assert.Equal(_rig.Initial, _rig.ImageBytes());
    }

    [Fact]
    public void DiscardSegmentPayloadMalformed()
    {
        // No segment at all.
        _rig.WriteHeader(BlockRequestType.WriteZeroes, 0);
        Assert.Equal(BlockStatus.IoError, _rig.Request().Status);
        // A partial segment.
        _rig.WriteSegment(0, 1, 0);
        Assert.Equal(BlockStatus.IoError, _rig.Request((BlockRig.SegmentAddress, 12, false)).Status);
        // Two segments: more than max_write_zeroes_seg.
        _rig.WriteSegment(0, 1, 0, at: BlockRig.SegmentAddress);
        _rig.WriteSegment(1, 1, 0, at: BlockRig.SegmentAddress + 16);
        Assert.Equal(BlockStatus.Unsupported, _rig.Request((BlockRig.SegmentAddress, 32, false)).Status);
        Assert.Equal(_rig.Initial, _rig.ImageBytes());
    }

    [Fact]
    public void DiscardWithoutNegotiatedFeatureIsUnsupported()
    {
        using var rig = new BlockRig(features: VirtioBlockFeatures.SegMax | VirtioBlockFeatures.BlkSize | VirtioBlockFeatures.Flush);
        Assert.Equal(BlockStatus.Unsupported, rig.DiscardOrWriteZeroes(BlockRequestType.WriteZeroes, 0, 1).Status);
        Assert.Equal(BlockStatus.Unsupported, rig.DiscardOrWriteZeroes(BlockRequestType.Discard, 0, 1).Status);
        Assert.Equal(rig.Initial, rig.ImageBytes());
    }

    [Fact]
    public void GetIdWithNoDataBufferIsIoError()
    {
        _rig.WriteHeader(BlockRequestType.GetId, 0);
        Assert.Equal((BlockStatus.IoError, 1u), _rig.Request());
    }

    [Fact]
    public void ChainFaultCompletesHeadWithZeroAndQueueGoesOn()
    {
        // A buffer outside guest RAM: the queue reports a chain fault naming the head.
        ushort bad = _rig.Driver.AddChain((BlockRig.HeaderAddress, 16, false), (0x4000_0000, 512, true), (BlockRig.StatusAddress, 1, true));
        _rig.Driver.Offer(bad);
        _rig.Device.QueueNotify(0);
        Assert.Equal(1, _rig.Driver.UsedIdx);
        Assert.Equal((bad, 0u), _rig.Driver.UsedElement(0));
        Assert.Empty(_rig.Interrupt.NeedsResetReasons);
        Assert.Equal(1, _rig.Interrupt.UsedBufferSignals);

        Assert.Equal(BlockStatus.Ok, _rig.Read(0, BlockRig.DataAddress, 512).Status);
    }

    [Fact]
    public void RingFaultSignalsNeedsResetOnceUntilReset()
    {
        _rig.Memory.Write(_rig.Driver.AvailRing + 4, (ushort)999);
        _rig.Driver.SetAvailIdx(1);
        _rig.Device.QueueNotify(0);
        _rig.Device.QueueNotify(0);
        var reason = Assert.Single(_rig.Interrupt.NeedsResetReasons);
        Assert.Contains("999", reason);
        Assert.Equal(0, _rig.Driver.UsedIdx);

        _rig.Device.Reset();
        Assert.False(_rig.Device.IsActive);
        _rig.Device.QueueNotify(0);
        Assert.Single(_rig.Interrupt.NeedsResetReasons);
    }

    [Fact]
    public void NotifyBeforeActivateIsIgnored()
    {
        using var memory = Xenon.Machine.Memory.GuestMemory.Create([(0, 1 << 20)]);
        var device = new Xenon.Devices.Virtio.Block.VirtioBlock(memory, _rig.Backend);
        device.QueueNotify(0);
        Assert.False(device.IsActive);
    }

    [Fact]
    public void ActivateWithWrongQueueCountThrows()
    {
        var device = new Xenon.Devices.Virtio.Block.VirtioBlock(_rig.Memory, _rig.Backend);
        Assert.Throws<ArgumentException>(() => device.Activate(0, Array.Empty<VirtQueue>(), new RecordingInterrupt()));
    }
}
