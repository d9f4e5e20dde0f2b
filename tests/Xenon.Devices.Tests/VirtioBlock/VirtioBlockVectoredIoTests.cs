using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Xenon.Devices.Tests.Virtio;
using Xenon.Devices.Virtio.Block;
using Xenon.Devices.Virtio.Queue;
using Xenon.Kvm;
using Xenon.Kvm.Net;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Tests.VirtioBlock;

/// <summary>A request's data buffers reach the backend as one vector (one preadv/pwritev, not one call per buffer): Linux
/// sends a 1 MiB request as up to 254 scattered pages. Checked through the device (data, status, used length and the
/// counters that say how many host calls it took) and on <see cref="VectoredFileIo"/> and <see cref="DirectFile"/> alone.</summary>
public sealed class VirtioBlockVectoredIoTests : IDisposable
{
    private const int Page = 4096;
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"xenon-vec-{Guid.NewGuid():N}.img");

    public void Dispose() => File.Delete(_path);

    /// <summary>Page-sized guest buffers, every other page and in descending order, as a fragmented guest's would be.</summary>
    private static (ulong Address, uint Length, bool Writable)[] ScatteredPages(int count, bool writable)
    {
        var buffers = new (ulong, uint, bool)[count];
        for (int i = 0; i < count; i++) buffers[i] = (BlockRig.DataAddress + (ulong)(count - 1 - i) * 2 * Page, Page, writable);
        return buffers;
    }

    private static BlockRig Rig(bool directIo, int sectors = 4096)
    {
        var rig = new BlockRig(sectors: sectors, directIo: directIo);
        if (directIo && !rig.Backend.IsDirect)
        {
            string why = rig.Backend.DirectUnavailableReason ?? "unknown";
            rig.Dispose();
            Assert.Skip($"{Path.GetTempPath()} does not take O_DIRECT: {why}");
        }
        return rig;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ScatteredReadOfSegMaxPagesIsOneHostCallWithEveryPageInPlace(bool directIo)
    {
        // seg_max (queue size - 2) pages: the most Linux puts in one request, just under 1 MiB.
        using var rig = Rig(directIo);
        var pages = ScatteredPages((int)rig.Device.Config.SegMax, writable: true);
        rig.WriteHeader(BlockRequestType.In, 8);

        var (status, used) = rig.Request(pages);

        Assert.Equal(BlockStatus.Ok, status);
        Assert.Equal((uint)pages.Length * Page + 1, used);
        for (int i = 0; i < pages.Length; i++)
            Assert.Equal(rig.Initial.AsSpan(8 * 512 + i * Page, Page).ToArray(), rig.GuestBytes(pages[i].Address, Page));
        Assert.Equal(1, rig.Device.Counters.HostCalls);
        Assert.Equal(pages.Length, rig.Device.Counters.DataBuffers);
        Assert.Equal(pages.Length * 8, rig.Device.Counters.ReadSectors);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ScatteredWriteLandsInOrderInOneHostCall(bool directIo)
    {
        using var rig = Rig(directIo);
        var pages = ScatteredPages(64, writable: false);
        var random = new Random(64);
        var expected = (byte[])rig.Initial.Clone();
        for (int i = 0; i < pages.Length; i++)
        {
            var page = new byte[Page];
            random.NextBytes(page);
            rig.Memory.Write(pages[i].Address, page);
            page.CopyTo(expected, 16 * 512 + i * Page);
        }
        rig.WriteHeader(BlockRequestType.Out, 16);

        var (status, used) = rig.Request(pages);

        Assert.Equal(BlockStatus.Ok, status);
        Assert.Equal(1u, used);
        Assert.Equal(expected, rig.ImageBytes());
        Assert.Equal(1, rig.Device.Counters.HostCalls);
        Assert.Equal(64, rig.Device.Counters.DataBuffers);
        Assert.Equal(1, rig.Device.Counters.Wakeups);
        Assert.Equal(rig.Interrupt.UsedBufferSignals, rig.Device.Counters.Interrupts);
        Assert.Equal(1, rig.Device.Counters.Interrupts);
        Assert.Equal("rd 0 requests 0 sectors, wr 1 requests 512 sectors, 64 data buffers in 1 host calls, 1 wake-ups, 1 interrupts",
            rig.Device.Counters.Describe());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void HeaderAndDataInOneDescriptorSkipTheHeader(bool directIo)
    {
        // The data then starts 16 bytes into the descriptor: not aligned for O_DIRECT, so it goes through the bounce buffer.
        using var rig = Rig(directIo);
        ulong at = BlockRig.DataAddress;
        rig.WriteHeader(BlockRequestType.Out, 3, at);
        var data = new byte[2 * Page];
        new Random(3).NextBytes(data);
        rig.Memory.Write(at + 16, data);
        var expected = (byte[])rig.Initial.Clone();
        data.CopyTo(expected, 3 * 512);

        rig.Memory.Write<byte>(BlockRig.StatusAddress, 0xEE);
        var used = rig.Submit((at, 16 + 2 * Page, false), (BlockRig.StatusAddress, 1, true));

        Assert.Equal(BlockStatus.Ok, (BlockStatus)rig.Memory.Read<byte>(BlockRig.StatusAddress));
        Assert.Equal(1u, used.Length);
        Assert.Equal(expected, rig.ImageBytes());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void StatusSharingTheLastDataDescriptorIsNotOverwrittenByData(bool directIo)
    {
        using var rig = Rig(directIo);
        rig.WriteHeader(BlockRequestType.In, 1);
        ulong at = BlockRig.DataAddress + 1;
        rig.Memory.Write<byte>(at + Page, 0xEE);

        var used = rig.Submit((BlockRig.HeaderAddress, 16, false), (BlockRig.DataAddress + 8 * Page, Page, true), (at, Page + 1, true));

        Assert.Equal(2u * Page + 1, used.Length);
        Assert.Equal((byte)BlockStatus.Ok, rig.Memory.Read<byte>(at + Page));
        Assert.Equal(rig.Initial.AsSpan(512, Page).ToArray(), rig.GuestBytes(BlockRig.DataAddress + 8 * Page, Page));
        Assert.Equal(rig.Initial.AsSpan(512 + Page, Page).ToArray(), rig.GuestBytes(at, Page));
    }

    [Fact]
    public void ChainOfMoreBuffersThanOneCallTakesIsSplitAcrossCallsInOrder()
    {
        const ushort queueSize = 2048;
        const int buffers = VectoredFileIo.MaxVectorsPerCall + 76;
        const ulong data = 0x400000;
        var initial = new byte[buffers * 512 + 8192];
        new Random(7).NextBytes(initial);
        File.WriteAllBytes(_path, initial);
        using var memory = GuestMemory.Create([(0, 16 * X86Layout.MiB)]);
        using var backend = RawFileBackend.Open(_path, readOnly: false);
        var device = new Xenon.Devices.Virtio.Block.VirtioBlock(memory, backend, queueSize: queueSize);
        var driver = new SplitRingDriver(memory, queueSize, descriptorTable: 0x100000, availRing: 0x110000, usedRing: 0x120000);
        device.Activate(device.DeviceFeatures, [driver.CreateQueue()], new RecordingInterrupt());

        Span<byte> header = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)BlockRequestType.In);
        BinaryPrimitives.WriteUInt64LittleEndian(header[8..], 4);
        memory.Write(0x10000, header);
        var chain = new List<(ulong, uint, bool)> { (0x10000, 16, false) };
        // 512-byte buffers 1 KiB apart: none adjacent, so none could be merged.
        for (int i = 0; i < buffers; i++) chain.Add((data + (ulong)i * 1024, 512, true));
        chain.Add((0x11000, 1, true));
        ushort head = driver.AddChain([.. chain]);
        driver.Offer(head);
        device.QueueNotify(0);

        Assert.Equal(1, driver.UsedIdx);
        Assert.Equal((uint)buffers * 512 + 1, driver.UsedElement(0).Length);
        Assert.Equal((byte)BlockStatus.Ok, memory.Read<byte>(0x11000));
        for (int i = 0; i < buffers; i++)
        {
            var got = new byte[512];
            memory.Read(data + (ulong)i * 1024, got);
            Assert.Equal(initial.AsSpan(4 * 512 + i * 512, 512).ToArray(), got);
        }
        Assert.Equal(2, device.Counters.HostCalls);
        Assert.Equal(buffers, device.Counters.DataBuffers);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ImageTruncatedUnderTheDeviceFailsTheReadWithIoError(bool directIo)
    {
        using var rig = Rig(directIo, sectors: 64);
        using (var f = new FileStream(rig.ImagePath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite)) f.SetLength(8 * 512);
        rig.WriteHeader(BlockRequestType.In, 0);

        var (status, used) = rig.Request(ScatteredPages(4, writable: true));

        Assert.Equal(BlockStatus.IoError, status);
        Assert.Equal(1u, used);
        Assert.IsType<EndOfStreamException>(rig.Backend.LastError);
        Assert.Equal(0, rig.Device.Counters.ReadRequests);
    }

    [Fact]
    public void WriteToReadOnlyBackendIsRefusedWithoutTouchingTheFile()
    {
        var initial = new byte[4 * Page];
        new Random(1).NextBytes(initial);
        File.WriteAllBytes(_path, initial);
        using var backend = RawFileBackend.Open(_path, readOnly: true);
        var (store, start) = Pinned(Page, 0);
        Assert.False(backend.TryWriteVectored(0, [Vector(store, start, Page)]));
        Assert.Equal(initial, File.ReadAllBytes(_path));
    }

    // ---- VectoredFileIo and DirectFile on their own

    private static (byte[] Store, int Start) Pinned(int length, int misalign)
    {
        var store = GC.AllocateArray<byte>(length + 2 * DirectFile.MaxAlignment, pinned: true);
        nint address = Marshal.UnsafeAddrOfPinnedArrayElement(store, 0);
        int start = (int)((DirectFile.MaxAlignment - (address & (DirectFile.MaxAlignment - 1))) & (DirectFile.MaxAlignment - 1)) + misalign;
        return (store, start);
    }

    private static IoVector Vector(byte[] pinned, int start, int length)
        => new(Marshal.UnsafeAddrOfPinnedArrayElement(pinned, start), (nuint)length);

    [Fact]
    public void ReadFillsVectorsInOrderAndSkipsEmptyOnes()
    {
        var initial = new byte[3 * Page];
        new Random(2).NextBytes(initial);
        File.WriteAllBytes(_path, initial);
        using var handle = File.OpenHandle(_path);
        var (store, start) = Pinned(3 * Page, 0);
        // Out of order in memory: the second piece of the file lands first in the buffer.
        IoVector[] vectors = [Vector(store, start + 1000, 1000), Vector(store, start, 0), Vector(store, start, 1000), Vector(store, start + 2000, 5)];

        Assert.True(VectoredFileIo.TryRead(handle, 100, vectors, out int errno));

        Assert.Equal(0, errno);
        Assert.Equal(initial.AsSpan(100, 1000).ToArray(), store.AsSpan(start + 1000, 1000).ToArray());
        Assert.Equal(initial.AsSpan(1100, 1000).ToArray(), store.AsSpan(start, 1000).ToArray());
        Assert.Equal(initial.AsSpan(2100, 5).ToArray(), store.AsSpan(start + 2000, 5).ToArray());
        Assert.Equal(2005UL, VectoredFileIo.TotalLength(vectors));
    }

    [Fact]
    public void MoreVectorsThanOneCallTakesAreAllWritten()
    {
        const int count = VectoredFileIo.MaxVectorsPerCall * 2 + 3;
        File.WriteAllBytes(_path, []);
        var (store, start) = Pinned(count, 0);
        for (int i = 0; i < count; i++) store[start + i] = (byte)(i * 31 + 5);
        var vectors = new IoVector[count];
        // One byte each, in reverse: the file must come out reversed.
        for (int i = 0; i < count; i++) vectors[i] = Vector(store, start + count - 1 - i, 1);
        using (var handle = File.OpenHandle(_path, FileMode.Open, FileAccess.ReadWrite))
            Assert.True(VectoredFileIo.TryWrite(handle, 0, vectors, out _));

        var written = File.ReadAllBytes(_path);
        Assert.Equal(count, written.Length);
        for (int i = 0; i < count; i++) Assert.Equal(store[start + count - 1 - i], written[i]);
    }

    [Fact]
    public void ReadPastTheEndFailsWithErrnoZeroAfterFillingWhatExists()
    {
        var initial = new byte[1000];
        new Random(3).NextBytes(initial);
        File.WriteAllBytes(_path, initial);
        using var handle = File.OpenHandle(_path);
        var (store, start) = Pinned(2000, 0);

        // The first call stops inside the second vector (end of file), the retry of its rest reads nothing.
        Assert.False(VectoredFileIo.TryRead(handle, 0, [Vector(store, start, 600), Vector(store, start + 600, 600)], out int errno));

        Assert.Equal(0, errno);
        Assert.Equal(initial, store.AsSpan(start, 1000).ToArray());
    }

    [Fact]
    public void DisposedHandleThrowsAndReadOnlyHandleFailsWritesWithEbadf()
    {
        File.WriteAllBytes(_path, new byte[Page]);
        var handle = File.OpenHandle(_path);
        handle.Dispose();
        var (store, start) = Pinned(Page, 0);
        Assert.Throws<ObjectDisposedException>(() => VectoredFileIo.TryRead(handle, 0, [Vector(store, start, Page)], out _));

        using var write = File.OpenHandle(_path, FileMode.Open, FileAccess.Read);
        Assert.False(VectoredFileIo.TryWrite(write, 0, [Vector(store, start, Page)], out int errno));
        Assert.Equal(9, errno); // EBADF: opened for reading only
        Assert.Equal(new byte[Page], File.ReadAllBytes(_path));
    }

    [Fact]
    public void DirectVectoredRefusesUnalignedOffsetsAndLengthsWithEinvalWithoutTouchingTheFile()
    {
        var initial = new byte[16 * Page];
        new Random(4).NextBytes(initial);
        File.WriteAllBytes(_path, initial);
        using var file = DirectFile.TryOpen(_path, writable: true, initial.Length, out int errno);
        if (file is null) Assert.Skip($"no O_DIRECT here (errno {errno})");
        var (store, start) = Pinned(2 * Page, 0);

        Assert.False(file.IsAligned(0, [Vector(store, start, Page), Vector(store, start + Page, 100)]));
        Assert.False(file.TryWriteVectored(0, [Vector(store, start, Page), Vector(store, start + Page, 100)], out errno));
        Assert.Equal(22, errno);
        Assert.False(file.TryReadVectored(1, [Vector(store, start, Page)], out errno));
        Assert.Equal(22, errno);
        Assert.Equal(initial, File.ReadAllBytes(_path));
    }

    [Theory]
    [InlineData(0)]   // every address aligned: one preadv/pwritev
    [InlineData(1)]   // one vector's address unaligned: vector by vector, that one through the bounce buffer
    public void DirectVectoredRoundTripsWhateverTheAddresses(int misalign)
    {
        var initial = new byte[64 * Page];
        new Random(5).NextBytes(initial);
        File.WriteAllBytes(_path, initial);
        using var file = DirectFile.TryOpen(_path, writable: true, initial.Length, out int errno);
        if (file is null) Assert.Skip($"no O_DIRECT here (errno {errno})");
        var (store, start) = Pinned(8 * Page + 1, 0);
        new Random(6).NextBytes(store);
        // Three pieces out of order in memory; the middle one is the one that may be misaligned.
        IoVector[] vectors = [Vector(store, start + 4 * Page, 2 * Page), Vector(store, start + misalign, 2 * Page), Vector(store, start + 7 * Page, Page)];
        var expected = (byte[])initial.Clone();
        store.AsSpan(start + 4 * Page, 2 * Page).CopyTo(expected.AsSpan(8 * Page));
        store.AsSpan(start + misalign, 2 * Page).CopyTo(expected.AsSpan(10 * Page));
        store.AsSpan(start + 7 * Page, Page).CopyTo(expected.AsSpan(12 * Page));

        Assert.True(file.TryWriteVectored(8 * Page, vectors, out errno));
        Assert.Equal(expected, ReadShared());

        var (back, backStart) = Pinned(8 * Page + 1, 0);
        IoVector[] backVectors = [Vector(back, backStart + misalign, 3 * Page), Vector(back, backStart + 4 * Page, 2 * Page)];
        Assert.True(file.TryReadVectored(8 * Page, backVectors, out errno));
        Assert.Equal(expected.AsSpan(8 * Page, 3 * Page).ToArray(), back.AsSpan(backStart + misalign, 3 * Page).ToArray());
        Assert.Equal(expected.AsSpan(11 * Page, 2 * Page).ToArray(), back.AsSpan(backStart + 4 * Page, 2 * Page).ToArray());
    }

    private byte[] ReadShared()
    {
        using var stream = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
