using System.Buffers.Binary;
using System.Net.NetworkInformation;
using Xenon.Devices.Tests.Virtio;
using Xenon.Devices.Virtio.Net;
using Xenon.Devices.Virtio.Queue;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Tests.VirtioNet;

/// <summary>
/// A virtio-net device over a <see cref="FakeNetBackend"/>, activated with a receive and a transmit queue driven by
/// two <see cref="SplitRingDriver"/>s: tests post receive buffers and transmit chains as Linux's virtio_net would.
/// </summary>
internal sealed class NetRig : IDisposable
{
    public const ulong RxBuffers = 0x100000;
    public const ulong TxBuffers = 0x400000;
    public const ulong OutsideRam = 0x1_0000_0000;
    public static readonly PhysicalAddress Mac = PhysicalAddress.Parse("00-16-3E-01-02-03");

    private ulong _nextRxBuffer = RxBuffers;

    public NetRig(ulong? features = null, ushort queueSize = 16, bool eventIdx = false, bool offloads = true, bool activate = true,
        QueueLimits? limits = null, INetBackend? backend = null)
    {
        Memory = GuestMemory.Create([(0, 16 * X86Layout.MiB)]);
        Backend = new FakeNetBackend();
        Device = new Xenon.Devices.Virtio.Net.VirtioNet(Memory, backend ?? Backend, Mac, mtu: 1500, queueSize: queueSize, offloads: offloads);
        Rx = new SplitRingDriver(Memory, queueSize, 0x1000, 0x3000, 0x4000);
        Tx = new SplitRingDriver(Memory, queueSize, 0x10000, 0x12000, 0x13000);
        RxQueue = Rx.CreateQueue(eventIdx, limits: limits);
        TxQueue = Tx.CreateQueue(eventIdx, limits: limits);
        Interrupt = new NetInterrupt();
        if (activate) Activate(features ?? Device.DeviceFeatures);
    }

    public GuestMemory Memory { get; }
    public FakeNetBackend Backend { get; }
    public Xenon.Devices.Virtio.Net.VirtioNet Device { get; }
    public SplitRingDriver Rx { get; }
    public SplitRingDriver Tx { get; }
    public VirtQueue RxQueue { get; }
    public VirtQueue TxQueue { get; }
    public NetInterrupt Interrupt { get; }

    public ulong AllFeatures => Device.DeviceFeatures;
    public ulong WithoutMergeable => Device.DeviceFeatures & ~VirtioNetFeatures.MergeableRxBuffers;

    public void Activate(ulong features) => Device.Activate(features, [RxQueue, TxQueue], Interrupt);

    /// <summary>Posts one receive chain of the given buffer lengths (device-writable, fresh guest addresses); returns its head and first address.</summary>
    public (ushort Head, ulong Address) PostRx(params uint[] lengths)
    {
        ulong first = _nextRxBuffer;
        var buffers = new (ulong, uint, bool)[lengths.Length];
        for (int i = 0; i < lengths.Length; i++)
        {
            buffers[i] = (_nextRxBuffer, lengths[i], true);
            _nextRxBuffer += (lengths[i] + 0xfffUL) & ~0xfffUL;
        }
        ushort head = Rx.AddChain(buffers);
        Rx.Offer(head);
        return (head, first);
    }

    /// <summary>Writes <paramref name="header"/>+<paramref name="frame"/> at <see cref="TxBuffers"/>, cut at the given
    /// lengths into a readable chain (default: one buffer), offers it and kicks the transmit queue.</summary>
    public ushort Transmit(byte[] header, byte[] frame, params uint[] cuts)
    {
        byte[] packet = [.. header, .. frame];
        Memory.Write(TxBuffers, packet);
        var buffers = new List<(ulong, uint, bool)>();
        ulong at = TxBuffers;
        uint left = (uint)packet.Length;
        foreach (uint cut in cuts)
        {
            buffers.Add((at, cut, false));
            at += cut;
            left -= cut;
        }
        if (left > 0) buffers.Add((at, left, false));
        ushort head = Tx.AddChain([.. buffers]);
        Tx.Offer(head);
        Device.QueueNotify(Xenon.Devices.Virtio.Net.VirtioNet.TransmitQueue);
        return head;
    }

    public byte[] GuestBytes(ulong address, int length)
    {
        var bytes = new byte[length];
        Memory.Read(address, bytes);
        return bytes;
    }

    /// <summary>A header: flags, gso_type, and zero elsewhere (num_buffers included).</summary>
    public static byte[] Header(byte flags = 0, byte gsoType = 0, ushort gsoSize = 0)
    {
        var header = new byte[VirtioNetHeader.Size];
        header[VirtioNetHeader.FlagsOffset] = flags;
        header[VirtioNetHeader.GsoTypeOffset] = gsoType;
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(VirtioNetHeader.GsoSizeOffset), gsoSize);
        if (gsoType != 0) BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(VirtioNetHeader.HeaderLengthOffset), 54);
        return header;
    }

    /// <summary>An Ethernet frame of <paramref name="length"/> bytes whose payload varies with <paramref name="seed"/>.</summary>
    public static byte[] Frame(int length, int seed = 1)
    {
        var frame = new byte[length];
        new Random(seed).NextBytes(frame);
        frame.AsSpan(0, 6).Fill(0xff);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x88b5);
        return frame;
    }

    public static byte[] Packet(byte[] frame, byte flags = 0, byte gsoType = 0) => [.. Header(flags, gsoType), .. frame];

    public void Dispose() => Memory.Dispose();
}
