using Xenon.Devices.Virtio.Block;

namespace Xenon.Devices.Tests.VirtioBlock;

/// <summary>Well-formed requests as Linux's virtio_blk sends them: reads, writes, flush, GET_ID, discard, write-zeroes.</summary>
public sealed class VirtioBlockIoTests : IDisposable
{
    private readonly BlockRig _rig = new(sectors: 64);

    public void Dispose() => _rig.Dispose();

    [Theory]
    [InlineData(0UL, 1)]
    [InlineData(1UL, 1)]
    [InlineData(7UL, 8)]
    [InlineData(33UL, 3)]
    [InlineData(63UL, 1)]
    [InlineData(56UL, 8)]
    public void WriteThenReadRoundTrips(ulong sector, int sectors)
    {
        int length = sectors * BlockRig.SectorSize;
        var data = new byte[length];
        new Random((int)sector).NextBytes(data);
        _rig.Memory.Write(BlockRig.DataAddress, data);

        var write = _rig.Write(sector, BlockRig.DataAddress, (uint)length);
        Assert.Equal((BlockStatus.Ok, 1u), write);

        var expected = (byte[])_rig.Initial.Clone();
        data.CopyTo(expected, (int)sector * BlockRig.SectorSize);
        Assert.Equal(expected, _rig.ImageBytes());

        const ulong readAt = BlockRig.DataAddress + 0x100000;
        var read = _rig.Read(sector, readAt, (uint)length);
        Assert.Equal((BlockStatus.Ok, (uint)length + 1), read);
        Assert.Equal(data, _rig.GuestBytes(readAt, length));
    }

    [Fact]
    public void ReadReturnsImageContent()
    {
        var read = _rig.Read(5, BlockRig.DataAddress, 2 * BlockRig.SectorSize);
        Assert.Equal((BlockStatus.Ok, 2u * BlockRig.SectorSize + 1), read);
        Assert.Equal(_rig.Initial.AsSpan(5 * BlockRig.SectorSize, 2 * BlockRig.SectorSize).ToArray(), _rig.GuestBytes(BlockRig.DataAddress, 2 * BlockRig.SectorSize));
    }

    [Fact]
    public void MultiSegmentWriteAndReadWithUnevenBuffers()
    {
        var data = new byte[3 * BlockRig.SectorSize];
        new Random(3).NextBytes(data);
        // Three guest buffers, not sector-sized individually, scattered in RAM.
        ulong[] at = [0x200000, 0x300010, 0x400FFF];
        uint[] len = [100, 1000, 436];
        int offset = 0;
        for (int i = 0; i < 3; i++)
        {
            _rig.Memory.Write(at[i], data.AsSpan(offset, (int)len[i]));
            offset += (int)len[i];
        }
        _rig.WriteHeader(BlockRequestType.Out, 10);
        Assert.Equal((BlockStatus.Ok, 1u), _rig.Request((at[0], len[0], false), (at[1], len[1], false), (at[2], len[2], false)));
        Assert.Equal(data, _rig.ImageBytes().AsSpan(10 * BlockRig.SectorSize, data.Length).ToArray());

        _rig.WriteHeader(BlockRequestType.In, 10);
        var read = _rig.Request((0x500000, 1, true), (0x600000, 1023, true), (0x700000, 512, true));
        Assert.Equal((BlockStatus.Ok, (uint)data.Length + 1), read);
        var back = _rig.GuestBytes(0x500000, 1).Concat(_rig.GuestBytes(0x600000, 1023)).Concat(_rig.GuestBytes(0x700000, 512)).ToArray();
        Assert.Equal(data, back);
    }

    [Fact]
    public void HeaderAndStatusMayShareBuffersWithData()
    {
        // One readable descriptor holding header + data, one writable holding data + status (legal layouts).
        var data = new byte[BlockRig.SectorSize];
        new Random(4).NextBytes(data);
        _rig.WriteHeader(BlockRequestType.Out, 2, at: 0x200000);
        _rig.Memory.Write(0x200010, data);
        var used = _rig.Submit((0x200000, 16 + 512, false), (0x300000, 1, true));
        Assert.Equal(1u, used.Length);
        Assert.Equal((byte)BlockStatus.Ok, _rig.Memory.Read<byte>(0x300000));
        Assert.Equal(data, _rig.ImageBytes().AsSpan(2 * 512, 512).ToArray());

        _rig.WriteHeader(BlockRequestType.In, 2, at: 0x200000);
        used = _rig.Submit((0x200000, 8, false), (0x200008, 8, false), (0x400000, 513, true));
        Assert.Equal(513u, used.Length);
        Assert.Equal(data, _rig.GuestBytes(0x400000, 512));
        Assert.Equal((byte)BlockStatus.Ok, _rig.Memory.Read<byte>(0x400000 + 512));
    }

    [Fact]
    public void IndirectRequestIsServed()
    {
        var data = new byte[1024];
        new Random(5).NextBytes(data);
        _rig.Memory.Write(BlockRig.DataAddress, data);
        _rig.WriteHeader(BlockRequestType.Out, 20);
        _rig.Memory.Write<byte>(BlockRig.StatusAddress, 0xEE);
        ushort head = _rig.Driver.AddIndirectChain(0x800000, (BlockRig.HeaderAddress, 16, false), (BlockRig.DataAddress, 1024, false), (BlockRig.StatusAddress, 1, true));
        _rig.Driver.Offer(head);
        _rig.Device.QueueNotify(0);
        Assert.Equal((head, 1u), _rig.Driver.UsedElement(0));
        Assert.Equal((byte)BlockStatus.Ok, _rig.Memory.Read<byte>(BlockRig.StatusAddress));
        Assert.Equal(data, _rig.ImageBytes().AsSpan(20 * 512, 1024).ToArray());
    }

    [Fact]
    public void FlushSucceeds()
    {
        _rig.Memory.Write(BlockRig.DataAddress, new byte[512]);
        Assert.Equal(BlockStatus.Ok, _rig.Write(0, BlockRig.DataAddress, 512).Status);
        _rig.WriteHeader(BlockRequestType.Flush, 0);
        Assert.Equal((BlockStatus.Ok, 1u), _rig.Request());
    }

    [Fact]
    public void GetIdReturnsSerialPaddedWithNul()
    {
        using var rig = new BlockRig(serial: "xenon-vda");
        rig.Memory.Write(BlockRig.DataAddress, Enumerable.Repeat((byte)0xAA, 32).ToArray());
        rig.WriteHeader(BlockRequestType.GetId, 0);
        var result = rig.Request((BlockRig.DataAddress, 20, true));
        Assert.Equal((BlockStatus.Ok, 21u), result);
        var expected = new byte[20];
        "xenon-vda"u8.CopyTo(expected);
        Assert.Equal(expected, rig.GuestBytes(BlockRig.DataAddress, 20));
        Assert.Equal(0xAA, rig.Memory.Read<byte>(BlockRig.DataAddress + 20));
    }

    [Fact]
    public void GetIdTruncatesLongSerialToTwentyBytesWithoutTerminator()
    {
        using var rig = new BlockRig(serial: "0123456789abcdefghijKLMN");
        rig.WriteHeader(BlockRequestType.GetId, 0);
        Assert.Equal((BlockStatus.Ok, 21u), rig.Request((BlockRig.DataAddress, 64, true)));
        Assert.Equal("0123456789abcdefghij"u8.ToArray(), rig.GuestBytes(BlockRig.DataAddress, 20));
    }

    [Fact]
    public void GetIdIntoShortBufferWritesWhatFits()
    {
        using var rig = new BlockRig(serial: "serial");
        rig.WriteHeader(BlockRequestType.GetId, 0);
        Assert.Equal((BlockStatus.Ok, 5u), rig.Request((BlockRig.DataAddress, 4, true)));
        Assert.Equal("seri"u8.ToArray(), rig.GuestBytes(BlockRig.DataAddress, 4));
    }

    [Fact]
    public void WriteZeroesZeroesExactlyTheRange()
    {
        Assert.Equal((BlockStatus.Ok, 1u), _rig.DiscardOrWriteZeroes(BlockRequestType.WriteZeroes, 3, 5));
        var expected = (byte[])_rig.Initial.Clone();
        Array.Clear(expected, 3 * 512, 5 * 512);
        Assert.Equal(expected, _rig.ImageBytes());
    }

    [Fact]
    public void WriteZeroesAcceptsUnmapFlag()
    {
        Assert.Equal(BlockStatus.Ok, _rig.DiscardOrWriteZeroes(BlockRequestType.WriteZeroes, 60, 4, flags: 1).Status);
        Assert.All(_rig.ImageBytes().AsSpan(60 * 512, 4 * 512).ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void DiscardSucceedsAndLeavesImageSizeAndOtherSectors()
    {
        // RawFileBackend documents discard as a no-op (no fallocate binding): the data may stay.
        Assert.Equal((BlockStatus.Ok, 1u), _rig.DiscardOrWriteZeroes(BlockRequestType.Discard, 0, 64));
        Assert.Equal(_rig.Initial, _rig.ImageBytes());
    }

    [Fact]
    public void ReadOnlyDiskRefusesWritesButServesReads()
    {
        using var rig = new BlockRig(readOnly: true);
        Assert.NotEqual(0UL, rig.Device.DeviceFeatures & VirtioBlockFeatures.ReadOnly);
        Assert.Equal(0UL, rig.Device.DeviceFeatures & (VirtioBlockFeatures.Discard | VirtioBlockFeatures.WriteZeroes));

        rig.Memory.Write(BlockRig.DataAddress, new byte[512]);
        Assert.Equal((BlockStatus.IoError, 1u), rig.Write(0, BlockRig.DataAddress, 512));
        // Not negotiated on a read-only disk, so unsupported even if a driver sends them.
        Assert.Equal(BlockStatus.Unsupported, rig.DiscardOrWriteZeroes(BlockRequestType.WriteZeroes, 0, 1).Status);
        Assert.Equal(BlockStatus.Unsupported, rig.DiscardOrWriteZeroes(BlockRequestType.Discard, 0, 1).Status);
        Assert.Equal(rig.Initial, rig.ImageBytes());

        Assert.Equal(BlockStatus.Ok, rig.Read(1, BlockRig.DataAddress, 512).Status);
        Assert.Equal(rig.Initial.AsSpan(512, 512).ToArray(), rig.GuestBytes(BlockRig.DataAddress, 512));
        rig.WriteHeader(BlockRequestType.Flush, 0);
        Assert.Equal(BlockStatus.Ok, rig.Request().Status);
    }

    [Fact]
    public void BatchOfRequestsRaisesOneInterrupt()
    {
        for (int i = 0; i < 3; i++)
        {
            _rig.WriteHeader(BlockRequestType.In, (ulong)i, at: BlockRig.HeaderAddress + (ulong)i * 16);
            _rig.Driver.Offer(_rig.Driver.AddChain((BlockRig.HeaderAddress + (ulong)i * 16, 16, false), (BlockRig.DataAddress + (ulong)i * 512, 512, true), (BlockRig.StatusAddress + (ulong)i, 1, true)));
        }
        _rig.Device.QueueNotify(0);
        Assert.Equal(3, _rig.Driver.UsedIdx);
        Assert.Equal(1, _rig.Interrupt.UsedBufferSignals);
        Assert.Equal(0, _rig.Interrupt.WrongQueueSignals);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(513u, _rig.Driver.UsedElement(i).Length);
            Assert.Equal(_rig.Initial.AsSpan(i * 512, 512).ToArray(), _rig.GuestBytes(BlockRig.DataAddress + (ulong)i * 512, 512));
        }
    }

    [Fact]
    public void NoInterruptFlagSuppressesSignal()
    {
        _rig.Driver.SetAvailFlags(1);
        Assert.Equal(BlockStatus.Ok, _rig.Read(0, BlockRig.DataAddress, 512).Status);
        Assert.Equal(0, _rig.Interrupt.UsedBufferSignals);
    }

    [Fact]
    public void KickWithNothingAvailableDoesNothing()
    {
        _rig.Device.QueueNotify(0);
        _rig.Device.QueueNotify(5);
        Assert.Equal(0, _rig.Driver.UsedIdx);
        Assert.Equal(0, _rig.Interrupt.UsedBufferSignals);
    }
}
