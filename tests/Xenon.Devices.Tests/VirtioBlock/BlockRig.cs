using System.Buffers.Binary;
using Xenon.Devices.Tests.Virtio;
using Xenon.Devices.Virtio.Block;
using Xenon.Devices.Virtio.Queue;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Tests.VirtioBlock;

/// <summary>
/// A virtio-blk device over a temporary raw image, activated with one queue driven by
/// <see cref="SplitRingDriver"/>: tests build requests in guest memory as Linux's virtio_blk would.
/// </summary>
internal sealed class BlockRig : IDisposable
{
    public const ulong HeaderAddress = 0x10000;
    public const ulong SegmentAddress = 0x10100;
    public const ulong StatusAddress = 0x11000;
    public const ulong DataAddress = 0x100000;
    public const int SectorSize = 512;

    public BlockRig(int sectors = 64, bool readOnly = false, string serial = "", ulong? features = null, ushort queueSize = 256, int extraBytes = 0,
        bool directIo = false)
    {
        ImagePath = Path.Combine(Path.GetTempPath(), $"xenon-blk-{Guid.NewGuid():N}.img");
        Initial = new byte[sectors * SectorSize + extraBytes];
        for (int i = 0; i < Initial.Length; i++) Initial[i] = Pattern(i);
        File.WriteAllBytes(ImagePath, Initial);
        Memory = GuestMemory.Create([(0, 16 * X86Layout.MiB)]);
        Backend = RawFileBackend.Open(ImagePath, readOnly, directIo);
        Device = new Xenon.Devices.Virtio.Block.VirtioBlock(Memory, Backend, serial, queueSize);
        Driver = new SplitRingDriver(Memory, queueSize);
        Queue = Driver.CreateQueue();
        Interrupt = new RecordingInterrupt();
        Device.Activate(features ?? Device.DeviceFeatures, [Queue], Interrupt);
    }

    public string ImagePath { get; }
    public byte[] Initial { get; }
    public GuestMemory Memory { get; }
    public RawFileBackend Backend { get; }
    public Xenon.Devices.Virtio.Block.VirtioBlock Device { get; }
    public SplitRingDriver Driver { get; }
    public VirtQueue Queue { get; }
    public RecordingInterrupt Interrupt { get; }

    /// <summary>The image's initial content: varies with the offset inside and across sectors.</summary>
    public static byte Pattern(int offset) => (byte)(offset * 7 + offset / SectorSize + 1);

    public void WriteHeader(BlockRequestType type, ulong sector, ulong at = HeaderAddress) => WriteHeader((uint)type, sector, at);

    public void WriteHeader(uint type, ulong sector, ulong at = HeaderAddress)
    {
        Span<byte> h = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(h, type);
        BinaryPrimitives.WriteUInt64LittleEndian(h[8..], sector);
        Memory.Write(at, h);
    }

    public void WriteSegment(ulong sector, uint sectors, uint flags, ulong at = SegmentAddress)
    {
        Span<byte> s = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(s, sector);
        BinaryPrimitives.WriteUInt32LittleEndian(s[8..], sectors);
        BinaryPrimitives.WriteUInt32LittleEndian(s[12..], flags);
        Memory.Write(at, s);
    }

    /// <summary>Offers one chain, kicks the device and returns the used element it produced.</summary>
    public (uint Id, uint Length) Submit(params (ulong Address, uint Length, bool Writable)[] buffers)
    {
        ushort head = Driver.AddChain(buffers);
        ushort before = Driver.UsedIdx;
        Driver.Offer(head);
        Device.QueueNotify(0);
        Assert.Equal((ushort)(before + 1), Driver.UsedIdx);
        var used = Driver.UsedElement(before);
        Assert.Equal(head, used.Id);
        return used;
    }

    /// <summary>A request with the header at <see cref="HeaderAddress"/>, the given data buffers and the status at <see cref="StatusAddress"/>.</summary>
    public (BlockStatus Status, uint Used) Request(params (ulong Address, uint Length, bool Writable)[] data)
    {
        Memory.Write<byte>(StatusAddress, 0xEE);
        var buffers = new List<(ulong, uint, bool)> { (HeaderAddress, 16, false) };
        buffers.AddRange(data.Where(d => !d.Writable));
        buffers.AddRange(data.Where(d => d.Writable));
        buffers.Add((StatusAddress, 1, true));
        var used = Submit([.. buffers]);
        return ((BlockStatus)Memory.Read<byte>(StatusAddress), used.Length);
    }

    public (BlockStatus Status, uint Used) Read(ulong sector, ulong address, uint length)
    {
        WriteHeader(BlockRequestType.In, sector);
        return Request((address, length, true));
    }

    public (BlockStatus Status, uint Used) Write(ulong sector, ulong address, uint length)
    {
        WriteHeader(BlockRequestType.Out, sector);
        return Request((address, length, false));
    }

    public (BlockStatus Status, uint Used) DiscardOrWriteZeroes(BlockRequestType type, ulong sector, uint sectors, uint flags = 0)
    {
        WriteHeader(type, sector);
        WriteSegment(sector, sectors, flags);
        return Request((SegmentAddress, 16, false));
    }

    /// <summary>The image as another process would see it now.</summary>
    public byte[] ImageBytes()
    {
        using var stream = new FileStream(ImagePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    public byte[] GuestBytes(ulong address, int length)
    {
        var bytes = new byte[length];
        Memory.Read(address, bytes);
        return bytes;
    }

    public void Dispose()
    {
        Backend.Dispose();
        Memory.Dispose();
        File.Delete(ImagePath);
    }
}
