using Xenon.Machine.Bus;

namespace Xenon.Machine.Tests.Bus;

public sealed class IoBusTests
{
    private sealed class Recorder : IPioDevice, IMmioDevice
    {
        public readonly List<(ulong Offset, int Size, bool Write)> Accesses = [];
        public void Read(ushort offset, Span<byte> data) { Accesses.Add((offset, data.Length, false)); data.Fill(0x11); }
        public void Write(ushort offset, ReadOnlySpan<byte> data) => Accesses.Add((offset, data.Length, true));
        public void Read(ulong offset, Span<byte> data) { Accesses.Add((offset, data.Length, false)); data.Fill(0x22); }
        public void Write(ulong offset, ReadOnlySpan<byte> data) => Accesses.Add((offset, data.Length, true));
    }

    [Fact]
    public void PortAccessesReachTheDeviceWithOffsetsRelativeToItsBase()
    {
        var bus = new PioBus();
        var uart = new Recorder();
        bus.Register(0x3f8, 8, uart);
        Span<byte> b = stackalloc byte[1];
        bus.Read(0x3fd, b);
        bus.Write(0x3f8, [0x41]);
        Assert.Equal(0x11, b[0]);
        Assert.Equal([(5UL, 1, false), (0UL, 1, true)], uart.Accesses);
    }

    [Fact]
    public void UnclaimedAccessesReadAllOnesAndAreCountedAndLoggedOncePerAddress()
    {
        var log = new List<string>();
        var bus = new PioBus(log.Add);
        Span<byte> b = stackalloc byte[4];
        for (int i = 0; i < 5; i++) bus.Read(0x80, b);
        bus.Write(0x81, [1]);
        Assert.Equal(0xffffffffu, BitConverter.ToUInt32(b));
        Assert.Equal(6, bus.Unhandled.Total);
        Assert.Equal(5, bus.Unhandled.CountAt(0x80));
        Assert.Equal(2, bus.Unhandled.DistinctAddresses);
        Assert.Equal(2, log.Count);
        Assert.Contains("0x80", log[0]);
    }

    [Fact]
    public void OverlappingRegistrationIsRefusedNamingBothRanges()
    {
        var bus = new MmioBus();
        bus.Register(0x1000, 0x100, new Recorder());
        var e = Assert.Throws<InvalidOperationException>(() => bus.Register(0x10f0, 0x20, new Recorder()));
        Assert.Contains("0x10f0", e.Message);
        Assert.Contains("0x1000", e.Message);
    }

    [Fact]
    public void EmptyOrWrappingRangesAreRefused()
    {
        var bus = new MmioBus();
        Assert.Throws<ArgumentOutOfRangeException>(() => bus.Register(0x1000, 0, new Recorder()));
        Assert.Throws<ArgumentOutOfRangeException>(() => bus.Register(ulong.MaxValue - 4, 0x10, new Recorder()));
    }

    [Fact]
    public void LookupFindsTheRightDeviceAmongMany()
    {
        var bus = new MmioBus();
        var devs = new Recorder[64];
        // registered out of order on purpose
        for (int i = 63; i >= 0; i--) bus.Register(0x10000UL * (ulong)i, 0x1000, devs[i] = new Recorder());
        Span<byte> b = stackalloc byte[2];
        for (int i = 0; i < 64; i++) bus.Read(0x10000UL * (ulong)i + 0xffe, b);
        bus.Read(0x10000UL * 5 + 0x1000, b); // just past device 5: unclaimed
        for (int i = 0; i < 64; i++) Assert.Equal([(0xffeUL, 2, false)], devs[i].Accesses);
        Assert.Equal(1, bus.Unhandled.Total);
    }

    [Fact]
    public void UnregisteredDeviceNoLongerReceivesAccesses()
    {
        var bus = new MmioBus();
        var d = new Recorder();
        bus.Register(0x2000, 0x10, d);
        Assert.True(bus.Unregister(d));
        Assert.False(bus.Unregister(d));
        bus.Write(0x2000, [1]);
        Assert.Empty(d.Accesses);
        Assert.Equal(1, bus.Unhandled.Total);
    }
}
