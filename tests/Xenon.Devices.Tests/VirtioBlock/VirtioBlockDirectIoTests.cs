using System.Runtime.InteropServices;
using Xenon.Devices.Virtio.Block;
using Xenon.Kvm;

namespace Xenon.Devices.Tests.VirtioBlock;

/// <summary>The raw backend opened for direct I/O (xl's direct-io-safe): aligned requests through O_DIRECT, unaligned
/// guest buffers through the bounce buffer, unaligned offsets through the buffered handle, all coherent with each
/// other and with the file as another process reads it.</summary>
public sealed class VirtioBlockDirectIoTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"xenon-dio-{Guid.NewGuid():N}.img");

    public void Dispose() => File.Delete(_path);

    private byte[] CreateImage(int bytes)
    {
        var data = new byte[bytes];
        new Random(bytes).NextBytes(data);
        File.WriteAllBytes(_path, data);
        return data;
    }

    private RawFileBackend OpenDirect(bool readOnly = false)
    {
        var backend = RawFileBackend.Open(_path, readOnly, directIo: true);
        if (!backend.IsDirect)
        {
            string why = backend.DirectUnavailableReason ?? "unknown";
            backend.Dispose();
            Assert.Skip($"{Path.GetTempPath()} does not take O_DIRECT: {why}");
        }
        return backend;
    }

    /// <summary>A pinned array and a window in it <paramref name="misalign"/> bytes past a 4 KiB boundary.</summary>
    private static (byte[] Store, int Start) Pinned(int length, int misalign)
    {
        var store = GC.AllocateArray<byte>(length + 2 * DirectFile.MaxAlignment, pinned: true);
        nint address = Marshal.UnsafeAddrOfPinnedArrayElement(store, 0);
        int start = (int)((DirectFile.MaxAlignment - (address & (DirectFile.MaxAlignment - 1))) & (DirectFile.MaxAlignment - 1)) + misalign;
        return (store, start);
    }

    [Fact]
    public void BufferedOpenIsNotDirect()
    {
        CreateImage(64 * 1024);
        using var backend = RawFileBackend.Open(_path, readOnly: false);
        Assert.False(backend.IsDirect);
        Assert.Null(backend.DirectUnavailableReason);
    }

    [Fact]
    public void FileSystemWithoutDirectIoFallsBackToBufferedAndSaysWhy()
    {
        // procfs has no direct I/O: open(O_DIRECT) fails with EINVAL, as on tmpfs before Linux 6.6.
        using var backend = RawFileBackend.Open("/proc/self/stat", readOnly: true, directIo: true);
        Assert.False(backend.IsDirect);
        Assert.Contains("errno 22", backend.DirectUnavailableReason);
    }

    [Fact]
    public void AlignmentIsProbedAndSmallFilesAssumeFourKiB()
    {
        CreateImage(64 * 1024);
        using (var file = DirectFile.TryOpen(_path, writable: false, 64 * 1024, out int errno))
        {
            if (file is null) Assert.Skip($"no O_DIRECT here (errno {errno})");
            Assert.True(file.Alignment is 512 or 1024 or 2048 or 4096, $"alignment {file.Alignment}");
            Assert.True(file.IsAligned(0, 4096));
            Assert.False(file.IsAligned(0, 4095));
            Assert.False(file.IsAligned(1, 4096));
            Assert.False(file.IsAligned(0, -4096));
        }
        using var small = DirectFile.TryOpen(_path, writable: false, 1024, out _);
        Assert.Equal(DirectFile.MaxAlignment, small!.Alignment);
    }

    [Fact]
    public void UnalignedRequestToDirectFileFailsWithEinvalWithoutTouchingTheFile()
    {
        var initial = CreateImage(64 * 1024);
        using var file = DirectFile.TryOpen(_path, writable: true, initial.Length, out int errno);
        if (file is null) Assert.Skip($"no O_DIRECT here (errno {errno})");
        Assert.False(file.TryWrite(1, new byte[4096], out errno));
        Assert.Equal(22, errno);
        Assert.False(file.TryRead(0, new byte[100], out errno));
        Assert.Equal(22, errno);
        Assert.Equal(initial, File.ReadAllBytes(_path));
    }

    [Theory]
    [InlineData(0)]      // aligned guest buffer: O_DIRECT straight into it
    [InlineData(512)]    // aligned to sectors only (when the file system wants 4 KiB): bounce
    [InlineData(1)]      // not even sector aligned: bounce
    public void AlignedOffsetsRoundTripWhateverTheBufferAlignment(int misalign)
    {
        const int length = 600 * 1024; // more than the bounce buffer, so it is reused
        var initial = CreateImage(2 * 1024 * 1024);
        using var backend = OpenDirect();
        var (store, start) = Pinned(length, misalign);
        var data = store.AsSpan(start, length);
        new Random(misalign).NextBytes(data);

        Assert.True(backend.TryWrite(8192, data));
        var expected = (byte[])initial.Clone();
        data.CopyTo(expected.AsSpan(8192));
        Assert.Equal(expected, ReadShared());

        var (back, backStart) = Pinned(length, misalign);
        Assert.True(backend.TryRead(8192, back.AsSpan(backStart, length)));
        Assert.True(data.SequenceEqual(back.AsSpan(backStart, length)));
    }

    [Fact]
    public void UnalignedOffsetsGoThroughThePageCacheAndStayCoherentWithDirectReads()
    {
        var initial = CreateImage(64 * 1024);
        using var backend = OpenDirect();
        var expected = (byte[])initial.Clone();
        // 512 bytes at sector 1: buffered when the alignment is 4 KiB, direct when 512; either way visible.
        var sector = new byte[512];
        new Random(7).NextBytes(sector);
        Assert.True(backend.TryWrite(512, sector));
        sector.CopyTo(expected, 512);
        // a 3-byte write is never aligned: the buffered handle
        Assert.True(backend.TryWrite(5000, [1, 2, 3]));
        expected[5000] = 1; expected[5001] = 2; expected[5002] = 3;

        var (store, start) = Pinned(8192, 0);
        Assert.True(backend.TryRead(0, store.AsSpan(start, 8192)));
        Assert.True(expected.AsSpan(0, 8192).SequenceEqual(store.AsSpan(start, 8192)));
        Assert.True(backend.TryFlush());
        Assert.Equal(expected, ReadShared());
    }

    [Fact]
    public void ImageWhoseSizeIsNotAMultipleOfTheAlignmentServesItsLastSector()
    {
        // 8 KiB + 512: the last sector is not a whole 4 KiB block.
        var initial = CreateImage(8192 + 512);
        using var backend = OpenDirect();
        var last = new byte[512];
        Assert.True(backend.TryRead(8192, last));
        Assert.Equal(initial.AsSpan(8192).ToArray(), last);
        new Random(3).NextBytes(last);
        Assert.True(backend.TryWrite(8192, last));
        Assert.Equal(initial.Length, new FileInfo(_path).Length);
        Assert.Equal(last, ReadShared().AsSpan(8192).ToArray());
    }

    [Fact]
    public void ReadOnlyDirectBackendRefusesWrites()
    {
        var initial = CreateImage(64 * 1024);
        using var backend = OpenDirect(readOnly: true);
        var (store, start) = Pinned(4096, 0);
        Assert.False(backend.TryWrite(0, store.AsSpan(start, 4096)));
        Assert.True(backend.TryRead(0, store.AsSpan(start, 4096)));
        Assert.True(initial.AsSpan(0, 4096).SequenceEqual(store.AsSpan(start, 4096)));
    }

    [Fact]
    public void DeviceOverDirectBackendMatchesAReferenceModelUnderRandomRequests()
    {
        using var rig = new BlockRig(sectors: 2048, directIo: true);
        if (!rig.Backend.IsDirect) Assert.Skip($"no O_DIRECT here: {rig.Backend.DirectUnavailableReason}");
        var model = (byte[])rig.Initial.Clone();
        var random = new Random(1234);
        for (int i = 0; i < 300; i++)
        {
            int sectors = random.Next(1, 64);
            ulong sector = (ulong)random.Next(0, 2048 - sectors);
            // guest buffers at page, sector and odd offsets, as drivers and bounce paths produce them
            ulong address = BlockRig.DataAddress + (ulong)(random.Next(0, 3) switch { 0 => 0, 1 => 512, _ => random.Next(1, 4096) });
            int length = sectors * BlockRig.SectorSize;
            if (random.Next(2) == 0)
            {
                var data = new byte[length];
                random.NextBytes(data);
                rig.Memory.Write(address, data);
                Assert.Equal(BlockStatus.Ok, rig.Write(sector, address, (uint)length).Status);
                data.CopyTo(model, (int)sector * BlockRig.SectorSize);
            }
            else
            {
                Assert.Equal((BlockStatus.Ok, (uint)length + 1), rig.Read(sector, address, (uint)length));
                Assert.Equal(model.AsSpan((int)sector * BlockRig.SectorSize, length).ToArray(), rig.GuestBytes(address, length));
            }
        }
        Assert.Equal(model, rig.ImageBytes());
    }

    private byte[] ReadShared()
    {
        using var stream = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
