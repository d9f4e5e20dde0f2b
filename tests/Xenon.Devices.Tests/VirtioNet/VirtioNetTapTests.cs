using Xenon.Tests.Shared;
using System.Buffers.Binary;
using Xenon.Devices.Virtio.Net;
using Xenon.Kvm.Net;
using Xenon.Machine.IoEvents;
using H = Xenon.Devices.Virtio.Net.VirtioNetHeader;
using Net = Xenon.Devices.Virtio.Net.VirtioNet;

namespace Xenon.Devices.Tests.VirtioNet;

/// <summary>
/// The device over a real host tap (root and /dev/net/tun; skipped otherwise), served by an <see cref="IoEventLoop"/>:
/// frames the guest transmits appear on the interface (seen by an AF_PACKET socket), frames sent out of the
/// interface land in the guest's receive buffers.
/// </summary>
public sealed class VirtioNetTapTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    [Fact]
    public void GuestFramesGoOutThroughTheTapAndHostFramesComeIn()
    {
        using var tap = NetTapRequirements.OpenUp();
        using var backend = new TapNetBackend(tap);
        using var rig = new NetRig(backend: backend);
        using var loop = new IoEventLoop("net-tap-test");
        rig.Device.AttachTo(loop);
        using var socket = new PacketSocket(NetInterface.GetIndex(tap.Name));
        try
        {
            // Transmit: header and frame in three guest buffers, gathered into one writev.
            var outgoing = NetRig.Frame(900, seed: 11);
            rig.Transmit(NetRig.Header(), outgoing, 12, 100);
            Assert.NotNull(socket.ReceiveMatching(f => f.AsSpan().SequenceEqual(outgoing), Timeout));
            Assert.Equal(1, rig.Device.Counters.TxPackets);

            // Receive: buffers first, then a frame out of the interface; the loop sees the tap readable.
            for (int i = 0; i < 8; i++) rig.PostRx(2048);
            rig.Device.QueueNotify(Net.ReceiveQueue);
            var incoming = NetRig.Frame(700, seed: 12);
            socket.Send(incoming);

            Assert.True(WaitForDelivered(rig, incoming, out uint length), "the frame sent out of the tap never reached a receive buffer");
            Assert.Equal((uint)(H.Size + incoming.Length), length);
            Assert.Equal(0, rig.Device.Counters.RxDropped);
        }
        finally
        {
            rig.Device.Detach();
        }
    }

    [Fact]
    public void FramesWaitInTheTapWhileTheGuestHasNoBuffers()
    {
        using var tap = NetTapRequirements.OpenUp();
        using var backend = new TapNetBackend(tap);
        using var rig = new NetRig(backend: backend);
        using var loop = new IoEventLoop("net-tap-test");
        rig.Device.AttachTo(loop);
        using var socket = new PacketSocket(NetInterface.GetIndex(tap.Name));
        try
        {
            var frames = Enumerable.Range(0, 3).Select(i => NetRig.Frame(200 + i, seed: 20 + i)).ToArray();
            foreach (var f in frames) socket.Send(f);
            Thread.Sleep(200);
            Assert.Equal(0, rig.Rx.UsedIdx);
            Assert.False(rig.Device.ReceiveInterest, "with no buffers the device should stop watching the tap");

            for (int i = 0; i < 8; i++) rig.PostRx(2048);
            rig.Device.QueueNotify(Net.ReceiveQueue);
            foreach (var f in frames) Assert.True(WaitForDelivered(rig, f, out _), $"frame of {f.Length} bytes was lost");
            Assert.Equal(0, rig.Device.Counters.RxDropped);
        }
        finally
        {
            rig.Device.Detach();
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ATsoFrameFromTheGuestEntersTheHostAsOneSuperFrame(bool completeEarly)
    {
        using var tap = NetTapRequirements.OpenUp();
        using var backend = new TapNetBackend(tap);
        using var rig = new NetRig(backend: backend);
        // Early completion sends the device's copy (one write) instead of the guest's pieces (writev).
        rig.Device.TransmitCompletesEarly = completeEarly;
        using var socket = new PacketSocket(NetInterface.GetIndex(tap.Name));

        var frame = TcpFrame(payload: 8000);
        var header = NetRig.Header(H.FlagNeedsChecksum, H.GsoTcpV4, gsoSize: 1448);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(H.HeaderLengthOffset), 54);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(H.ChecksumStartOffset), 34);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(H.ChecksumOffsetOffset), 16);
        rig.Transmit(header, frame, 12, 54);

        Assert.Equal(1, rig.Device.Counters.TxPackets);
        // A packet socket sees received frames before segmentation: the 8 KiB TCP frame arrives whole.
        var seen = socket.ReceiveMatching(f => f.Length == frame.Length && f.AsSpan(54).SequenceEqual(frame.AsSpan(54)), Timeout);
        Assert.NotNull(seen);
    }

    [Fact]
    public void AFrameInMorePiecesThanWritevTakesIsCopiedAndSent()
    {
        using var tap = NetTapRequirements.OpenUp();
        using var backend = new TapNetBackend(tap);
        using var rig = new NetRig(backend: backend, limits: new Xenon.Devices.Virtio.Queue.QueueLimits { MaxIndirectDescriptors = 2048 });
        using var socket = new PacketSocket(NetInterface.GetIndex(tap.Name));
        var frame = NetRig.Frame(1100 * 8, seed: 13);
        rig.Memory.Write(NetRig.TxBuffers, new byte[H.Size]);
        rig.Memory.Write(NetRig.TxBuffers + 0x1000, frame);
        var pieces = new (ulong, uint, bool)[1101];
        pieces[0] = (NetRig.TxBuffers, H.Size, false);
        for (int i = 0; i < 1100; i++) pieces[i + 1] = (NetRig.TxBuffers + 0x1000 + (ulong)i * 8, 8, false);
        rig.Tx.Offer(rig.Tx.AddIndirectChain(0x200000, pieces));
        rig.Device.QueueNotify(Net.TransmitQueue);

        Assert.Equal(1, rig.Device.Counters.TxPackets);
        Assert.NotNull(socket.ReceiveMatching(f => f.AsSpan().SequenceEqual(frame), Timeout));
    }

    [Fact]
    public void NegotiatedOffloadsAreAcceptedByTheTap()
    {
        using var tap = NetTapRequirements.OpenUp();
        using var backend = new TapNetBackend(tap);
        using var rig = new NetRig(backend: backend);
        Assert.Equal(NetOffloads.Checksum | NetOffloads.Tso4 | NetOffloads.Tso6 | NetOffloads.TsoEcn, rig.Device.ReceiveOffloads);
        Assert.Equal(0, backend.LastErrno);
        rig.Device.Reset();
        Assert.Equal(0, backend.LastErrno);
        Assert.True(backend.SetOffloads(NetOffloads.Checksum | NetOffloads.Tso6));
    }

    /// <summary>Polls the receive ring until a used buffer holds <paramref name="frame"/>.</summary>
    private static bool WaitForDelivered(NetRig rig, byte[] frame, out uint length)
    {
        var deadline = DateTime.UtcNow + Timeout;
        int checkedUpTo = 0;
        while (DateTime.UtcNow < deadline)
        {
            ushort used = rig.Rx.UsedIdx;
            for (; checkedUpTo < used; checkedUpTo++)
            {
                var (id, len) = rig.Rx.UsedElement(checkedUpTo);
                // PostRx gave each chain its own 2 KiB buffer on a fresh page, in order from RxBuffers.
                ulong address = NetRig.RxBuffers + id * 0x1000UL;
                if (len == H.Size + frame.Length && rig.GuestBytes(address + H.Size, frame.Length).AsSpan().SequenceEqual(frame))
                {
                    length = len;
                    return true;
                }
            }
            Thread.Sleep(5);
        }
        length = 0;
        return false;
    }

    /// <summary>An Ethernet + IPv4 + TCP frame with <paramref name="payload"/> bytes, checksum left to the offload.</summary>
    private static byte[] TcpFrame(int payload)
    {
        var frame = new byte[54 + payload];
        frame.AsSpan(0, 6).Fill(0xff);
        frame[6] = 0x02;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        var ip = frame.AsSpan(14, 20);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + 20 + payload));
        ip[8] = 64;
        ip[9] = 6; // TCP
        ip[12] = 10; ip[15] = 1; // 10.0.0.1
        ip[16] = 10; ip[19] = 2; // 10.0.0.2
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], IpChecksum(ip));
        var tcp = frame.AsSpan(34, 20);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], 5001);
        tcp[12] = 0x50; // data offset 5 words
        tcp[13] = 0x18; // PSH, ACK
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 65535);
        new Random(5).NextBytes(frame.AsSpan(54));
        return frame;
    }

    private static ushort IpChecksum(ReadOnlySpan<byte> header)
    {
        uint sum = 0;
        for (int i = 0; i < header.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(header[i..]);
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
        return (ushort)~sum;
    }
}
