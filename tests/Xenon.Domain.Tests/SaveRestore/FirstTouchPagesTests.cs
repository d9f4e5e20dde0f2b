using Xenon.Domain.Save;
using Xenon.Domain.SaveRestore;
using Xenon.Machine.Backend;
using Xenon.Machine.Memory;

namespace Xenon.Domain.Tests.SaveRestore;

/// <summary>The toolstack's check of a saved file reads ahead the few guest pages the restore touches before the guest
/// runs (kvmclock pages, virtqueue rings), and only those that an image maps: never a zero chunk, never outside RAM.</summary>
public sealed class FirstTouchPagesTests : IDisposable
{
    private const uint WallClock = 0x4b56_4d00, SystemTime = 0x4b56_4d01;

    private readonly string _dir = Directory.CreateTempSubdirectory("xenon-touch-").FullName;
    private string SaveFile => Path.Combine(_dir, "guest.save");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Region 0 (4 MiB): data in its first 2 MiB chunk only; region 1 (2 MiB at 16 MiB): all zero.</summary>
    private int PagesReadAhead(params MsrEntry[] msrs)
    {
        using (var source = new FakeDomain(memory: GuestMemory.Create([(0, 4 << 20), (16 << 20, 2 << 20)])) { VcpuMsrs = msrs })
        {
            source.Memory.GetSpan(0x2000, 8192).Fill(0x5a);
            DomainSaver.Save(source, SaveFile, keepRunning: false);
        }
        using var reader = SavedDomainReader.Open(SaveFile);
        reader.CheckRecords();
        return reader.FirstTouchPagesRead;
    }

    [Fact]
    public void TheEnabledKvmclockPageIsReadOnceForEveryVcpu()
    {
        Assert.Equal(1, PagesReadAhead(new MsrEntry(SystemTime, 0x2000 | 1), new MsrEntry(WallClock, 0x2040)));
    }

    [Fact]
    public void AStructureAcrossAPageEndBringsBothPages()
    {
        Assert.Equal(2, PagesReadAhead(new MsrEntry(WallClock, 0x2ffc)));
    }

    [Fact]
    public void ADisabledClockAZeroChunkAndAnAddressOutsideRamReadNothing()
    {
        Assert.Equal(0, PagesReadAhead(new MsrEntry(SystemTime, 0x2000), new MsrEntry(WallClock, 0x300000)));
        Assert.Equal(0, PagesReadAhead(new MsrEntry(SystemTime, (16 << 20) + 1), new MsrEntry(WallClock, 0x4000_0000)));
        Assert.Equal(0, PagesReadAhead(new MsrEntry(SystemTime, ulong.MaxValue), new MsrEntry(WallClock, ulong.MaxValue - 4)));
    }

    [Fact]
    public void FileOffsetFollowsTheImageAndSkipsZeroChunks()
    {
        var region = new MemoryRegionEntry(0x100000, 4 << 20);
        var image = new MemoryImageLayout(0, region, 2 << 20, imageOffset: 0x3000, dataPages: 1, chunkCrcs: new uint[2], zeroChunks: [false, true]);
        Assert.Equal(0x3000 + 0x5000L, FirstTouchPages.FileOffset([image], 0x105000));
        Assert.Null(FirstTouchPages.FileOffset([image], 0x100000 + (2 << 20))); // chunk 1 is all zero: not mapped
        Assert.Null(FirstTouchPages.FileOffset([image], 0xff000));
        Assert.Null(FirstTouchPages.FileOffset([image], 0x100000 + (4 << 20)));
    }

    [Fact]
    public void MalformedRecordsAndOtherDevicesAreLeftToTheRestore()
    {
        var touched = new FirstTouchPages();
        touched.TakeVcpu([1, 2, 3, 4, 5]);
        touched.TakeVcpu([]);
        touched.TakeDevice("pci:virtio-net-vif1.0", [0xff, 0, 1]);
        touched.TakeDevice("pci:virtio-blk-xvda", []);
        touched.TakeDevice("uart-0", [0, 0, 0, 0]);
        Assert.Equal(0, touched.RangeCount);
    }
}
