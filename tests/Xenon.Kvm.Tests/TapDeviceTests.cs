using Xenon.Tests.Shared;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Xenon.Kvm.Native;
using Xenon.Kvm.Net;

namespace Xenon.Kvm.Tests;

/// <summary>A real tap on the host (root and /dev/net/tun; skipped otherwise), with an AF_PACKET socket as its far end.</summary>
public sealed class TapDeviceTests
{
    private const ushort TestEtherType = 0x88b5; // IEEE 802 local experimental: nothing else on the host sends it
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    [Fact]
    public void OpenCreatesANamedTapWithTheVnetHeaderAndRemovesItOnDispose()
    {
        string name = TapRequirements.UniqueName();
        using (var tap = TapRequirements.Open(name))
        {
            Assert.Equal(name, tap.Name);
            int expected = TunIoctls.IFF_TAP | TunIoctls.IFF_NO_PI | TunIoctls.IFF_VNET_HDR;
            Assert.Equal(expected, tap.GetFlags() & expected);
            Assert.Equal(TapDevice.VnetHeaderSize, tap.GetVnetHeaderSize());
            Assert.True(Directory.Exists($"/sys/class/net/{name}"), "the interface should exist while the tap is open");
            Assert.True(NetInterface.GetIndex(name) > 0);
        }
        Assert.False(Directory.Exists($"/sys/class/net/{name}"), "a non-persistent tap should disappear when its fd closes");
    }

    [Fact]
    public void WithoutANameTheKernelChoosesOne()
    {
        TapRequirements.Tap();
        TapDevice tap;
        try
        {
            tap = TapDevice.Open();
        }
        catch (KvmException e) when (e.Errno is Errno.EPERM or Errno.EACCES)
        {
            Assert.Skip($"the kernel refused to create a tap: {e.Message}");
            throw;
        }
        using (tap)
        {
            Assert.StartsWith("tap", tap.Name, StringComparison.Ordinal);
            Assert.True(Directory.Exists($"/sys/class/net/{tap.Name}"));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("sixteen-chars-xx")]
    [InlineData("a/b")]
    [InlineData("a b")]
    [InlineData("a:b")]
    [InlineData("..")]
    [InlineData("vif\u00e9")]
    public void InvalidInterfaceNamesAreRejectedWithTheirReason(string name)
    {
        Assert.False(InterfaceName.IsValid(name, out string reason));
        Assert.NotEmpty(reason);
        Assert.Throws<ArgumentException>(() => NetInterface.SetUp(name, true));
        if (name.Length > 0) Assert.Throws<ArgumentException>(() => TapDevice.Open(name));
    }

    [Theory]
    [InlineData("vif1.0")]
    [InlineData("fifteen-chars-x")]
    [InlineData("tap0")]
    public void XenStyleNamesAreValid(string name) => Assert.True(InterfaceName.IsValid(name, out _));

    [Fact]
    public void LinkStateAndMtuAreSetThroughTheInterfaceIoctls()
    {
        using var tap = TapRequirements.Open();
        Assert.False(NetInterface.IsUp(tap.Name));
        tap.SetLinkUp();
        Assert.True(NetInterface.IsUp(tap.Name));
        Assert.True(NetInterface.IsRunning(tap.Name), "an open tap has carrier");
        tap.SetMtu(9000);
        Assert.Equal(9000, tap.GetMtu());
        tap.SetMtu(1500);
        Assert.Equal(1500, NetInterface.GetMtu(tap.Name));
        tap.SetLinkUp(false);
        Assert.False(NetInterface.IsUp(tap.Name));
    }

    [Fact]
    public void TheHostSideMacAddressIsSetAndReadBack()
    {
        using var tap = TapRequirements.Open();
        byte[] xenStyle = [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff];
        tap.SetMacAddress(xenStyle);
        Assert.Equal(xenStyle, NetInterface.GetMacAddress(tap.Name));
        Assert.Equal("fe:ff:ff:ff:ff:ff", File.ReadAllText($"/sys/class/net/{tap.Name}/address").Trim());
        Assert.Throws<ArgumentException>(() => tap.SetMacAddress([1, 2, 3]));
    }

    [Fact]
    public void OffloadsAreAcceptedAndUnknownBitsRefused()
    {
        using var tap = TapRequirements.Open();
        tap.SetOffloads(TunOffloads.Checksum | TunOffloads.Tso4 | TunOffloads.Tso6 | TunOffloads.TsoEcn);
        tap.SetOffloads(TunOffloads.None);
        Assert.False(tap.TrySetOffloads((TunOffloads)0x4000_0000, out int errno));
        Assert.Equal(Errno.EINVAL, errno);
    }

    [Fact]
    public void ReadingWithNothingQueuedReturnsZero()
    {
        using var tap = TapRequirements.Open();
        Assert.Equal(0, tap.Read(new byte[2048]));
        Assert.True(tap.TryRead(new byte[2048], out int length, out int errno));
        Assert.Equal(0, length);
        Assert.Equal(0, errno);
    }

    [Fact]
    public void WritesFailWithTheKernelsErrnoInsteadOfThrowing()
    {
        using var tap = TapRequirements.Open();
        var packet = Packet(TestFrame(64));
        Assert.False(tap.TryWrite(packet, out int errno), "a tap that is down refuses frames");
        Assert.Equal(5, errno); // EIO
        tap.SetLinkUp();
        Assert.False(tap.TryWrite(new byte[TapDevice.VnetHeaderSize + 6], out errno), "shorter than an Ethernet header");
        Assert.Equal(Errno.EINVAL, errno);
        Assert.Throws<KvmException>(() => tap.Write(new byte[TapDevice.VnetHeaderSize + 6]));
        Assert.False(tap.TryWriteGather(new IoVector[1025], out errno));
        Assert.Equal(Errno.EINVAL, errno);
    }

    [Fact]
    public void AFrameWrittenToTheTapArrivesOnTheInterface()
    {
        using var tap = TapRequirements.OpenUp();
        using var socket = new PacketSocket(NetInterface.GetIndex(tap.Name));
        var frame = TestFrame(200);

        tap.Write(Packet(frame));

        var seen = socket.ReceiveMatching(f => f.AsSpan().SequenceEqual(frame), Timeout);
        Assert.NotNull(seen);
    }

    [Fact]
    public void AGatherWriteConcatenatesItsPieces()
    {
        using var tap = TapRequirements.OpenUp();
        using var socket = new PacketSocket(NetInterface.GetIndex(tap.Name));
        var frame = TestFrame(300);
        var header = new byte[TapDevice.VnetHeaderSize];
        var handles = new[] { GCHandle.Alloc(header, GCHandleType.Pinned), GCHandle.Alloc(frame, GCHandleType.Pinned) };
        try
        {
            nint f = handles[1].AddrOfPinnedObject();
            IoVector[] vectors =
            [
                new(handles[0].AddrOfPinnedObject(), (nuint)header.Length),
                new(f, 7),
                new(f + 7, 100),
                new(f + 107, (nuint)(frame.Length - 107)),
            ];
            tap.WriteGather(vectors);
        }
        finally
        {
            foreach (var h in handles) h.Free();
        }

        Assert.NotNull(socket.ReceiveMatching(f => f.AsSpan().SequenceEqual(frame), Timeout));
    }

    [Fact]
    public void AFrameSentOutOfTheInterfaceIsReadWithAVnetHeader()
    {
        using var tap = TapRequirements.OpenUp();
        using var socket = new PacketSocket(NetInterface.GetIndex(tap.Name));
        var frame = TestFrame(500);

        socket.Send(frame);

        var packet = ReadMatching(tap, frame);
        Assert.NotNull(packet);
        Assert.Equal(0, packet[1]); // gso_type NONE: no offloads were enabled
        Assert.Equal(0, packet[0] & 1); // no NEEDS_CSUM without TUN_F_CSUM
    }

    [Fact]
    public void UsingADisposedTapThrowsInsteadOfTouchingAReusedDescriptor()
    {
        var tap = TapRequirements.Open();
        tap.Dispose();
        Assert.Throws<ObjectDisposedException>(() => tap.Read(new byte[64]));
    }

    /// <summary>Reads from the tap until a packet whose frame is <paramref name="frame"/> arrives; null on timeout.</summary>
    internal static byte[]? ReadMatching(TapDevice tap, byte[] frame)
    {
        var buffer = new byte[70000];
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline)
        {
            int n = tap.Read(buffer);
            if (n == 0)
            {
                Thread.Sleep(5);
                continue;
            }
            if (buffer.AsSpan(TapDevice.VnetHeaderSize, n - TapDevice.VnetHeaderSize).SequenceEqual(frame)) return buffer[..n];
        }
        return null;
    }

    /// <summary>A broadcast frame of <paramref name="length"/> bytes with the test EtherType and a random payload.</summary>
    internal static byte[] TestFrame(int length)
    {
        var frame = new byte[length];
        Random.Shared.NextBytes(frame);
        frame.AsSpan(0, 6).Fill(0xff);
        frame[6] = 0x02; // locally administered unicast source
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), TestEtherType);
        return frame;
    }

    /// <summary>The frame behind an all-zero vnet header (no offloads).</summary>
    internal static byte[] Packet(byte[] frame) => [.. new byte[TapDevice.VnetHeaderSize], .. frame];
}
