using System.Buffers.Binary;
using Xenon.Devices.Virtio.Queue;
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

    // A queue of 8 at the rings below, in a 64 KiB guest the test fills by hand.
    private const ulong Desc = 0x1000, Avail = 0x2000, Used = 0x3000;

    private static VirtQueueState Queue(ushort nextAvail, ushort size = 8, bool ready = true) =>
        new(size, ready, Desc, Avail, Used, nextAvail, NextUsed: nextAvail, EventIdx: false, IndirectDescriptors: true,
            NotificationsEnabled: true, SignalledUsed: null);

    private static void Descriptor(byte[] guest, int index, ulong address, uint length, ushort flags, ushort next)
    {
        var d = guest.AsSpan((int)Desc + 16 * index, 16);
        BinaryPrimitives.WriteUInt64LittleEndian(d, address);
        BinaryPrimitives.WriteUInt32LittleEndian(d[8..], length);
        BinaryPrimitives.WriteUInt16LittleEndian(d[12..], flags);
        BinaryPrimitives.WriteUInt16LittleEndian(d[14..], next);
    }

    private static void Available(byte[] guest, ushort index, params ushort[] heads) => Available(guest, 8, index, heads);

    private static void Available(byte[] guest, int size, ushort index, params ushort[] heads)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(guest.AsSpan((int)Avail + 2), index);
        for (int i = 0; i < heads.Length; i++)
            BinaryPrimitives.WriteUInt16LittleEndian(guest.AsSpan((int)Avail + 4 + 2 * ((index - heads.Length + i) % size)), heads[i]);
    }

    /// <summary>The ranges noted beyond the queue's own three (table and rings), as (address, length).</summary>
    private static List<(ulong, ulong)> InFlight(byte[] guest, VirtQueueState queue)
    {
        var touched = new FirstTouchPages();
        touched.TakeQueue(queue);
        int rings = touched.RangeCount;
        touched.NoteChainsInFlight((gpa, into) =>
        {
            if (gpa + (ulong)into.Length > (ulong)guest.Length) return false;
            guest.AsSpan((int)gpa, into.Length).CopyTo(into);
            return true;
        });
        return touched.Ranges.Skip(rings).ToList();
    }

    [Fact]
    public void TheBuffersOfChainsTheDeviceHasNotTakenAreNotedAcrossTheirDescriptors()
    {
        var guest = new byte[0x10000];
        Descriptor(guest, 3, 0x8000, 0x100, flags: 1, next: 5); // NEXT
        Descriptor(guest, 5, 0x9ff0, 0x20, flags: 2, next: 0);  // WRITE, last
        Descriptor(guest, 6, 0xa000, 0x40, flags: 0, next: 0);
        Available(guest, index: 12, 3, 6); // the device took up to 10
        Assert.Equal([(0x8000UL, 0x100UL), (0x9ff0UL, 0x20UL), (0xa000UL, 0x40UL)], InFlight(guest, Queue(nextAvail: 10)));
    }

    [Fact]
    public void AnIndirectTableIsNotedButNotWalkedAndBigBuffersAreCapped()
    {
        var guest = new byte[0x10000];
        Descriptor(guest, 0, 0xc000, 0x30, flags: 4 | 1, next: 1); // INDIRECT: its table only, NEXT ignored
        Descriptor(guest, 1, 0xd000, 0x40, flags: 0, next: 0);
        Descriptor(guest, 2, 0x100000, 16 << 20, flags: 0, next: 0);
        Available(guest, index: 2, 0, 2);
        Assert.Equal([(0xc000UL, 0x30UL), (0x100000UL, 64UL << 10)], InFlight(guest, Queue(nextAvail: 0)));
    }

    [Fact]
    public void NothingInFlightARingThatDisagreesAndAnUnreadableRingNoteNothing()
    {
        var guest = new byte[0x10000];
        Descriptor(guest, 1, 0x8000, 0x100, flags: 0, next: 0);
        Available(guest, index: 4, 1);
        Assert.Empty(InFlight(guest, Queue(nextAvail: 4)));                // all taken
        Assert.Empty(InFlight(guest, Queue(nextAvail: 100)));              // more pending than the queue holds
        Assert.Empty(InFlight(new byte[0x2000], Queue(nextAvail: 0)));     // the avail ring is outside what can be read
        Assert.Empty(InFlight(guest, Queue(nextAvail: 3, ready: false)));  // a queue not ready is not taken at all
    }

    [Fact]
    public void ALoopingOrBrokenChainStopsAtItsBounds()
    {
        var guest = new byte[0x10000];
        Descriptor(guest, 0, 0x8000, 0x10, flags: 1, next: 0); // NEXT to itself
        Descriptor(guest, 1, 0x9000, 0x10, flags: 1, next: 200); // NEXT outside the table
        Available(guest, index: 2, 0, 1);
        var ranges = InFlight(guest, Queue(nextAvail: 0));
        Assert.Equal(16 + 1, ranges.Count);
        Assert.Equal((0x9000UL, 0x10UL), ranges[^1]);
    }

    [Fact]
    public void AtMostEightChainsAQueueAreWalked()
    {
        var guest = new byte[0x10000];
        for (int i = 0; i < 12; i++) Descriptor(guest, i, 0x8000 + 0x100UL * (ulong)i, 0x10, flags: 0, next: 0);
        Available(guest, 16, index: 12, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
        var ranges = InFlight(guest, Queue(nextAvail: 0, size: 16));
        Assert.Equal(8, ranges.Count);
        Assert.Equal((0x8700UL, 0x10UL), ranges[^1]);
    }
}
