using Xenon.Devices.Tests.Fakes;
using Xenon.Devices.Tests.Support;
using Xenon.Devices.Tests.VirtioConsole;
using Xenon.Devices.Virtio.Rng;
using RngDevice = Xenon.Devices.Virtio.Rng.VirtioRng;

namespace Xenon.Devices.Tests.VirtioRng;

public sealed class VirtioRngTests
{
    /// <summary>Bytes 1, 2, 3, … so tests can tell exactly what was written where.</summary>
    private sealed class CountingSource : IEntropySource
    {
        private byte _next = 1;
        public int Calls { get; private set; }

        public void Fill(Span<byte> destination)
        {
            Calls++;
            for (int i = 0; i < destination.Length; i++) destination[i] = _next++;
        }
    }

    private sealed class Rig : IDisposable
    {
        public Rig(VirtioRngOptions? options = null, bool wake = false, IEntropySource? source = null)
        {
            Set = new QueueSet(1);
            Time = new ManualTimeProvider(DateTimeOffset.UnixEpoch);
            Device = new RngDevice(Set.Memory, options, wake ? () => Wakes++ : null, source ?? Source, Time);
            Device.Activate(Device.DeviceFeatures, Set.Queues, Set.Interrupt);
        }

        public QueueSet Set { get; }
        public ManualTimeProvider Time { get; }
        public CountingSource Source { get; } = new();
        public RngDevice Device { get; }
        public int Wakes { get; private set; }

        public void Dispose()
        {
            Device.Dispose();
            Set.Dispose();
        }
    }

    [Fact]
    public void IdentifiesAsAnEntropyDeviceWithOneQueueAndNoConfig()
    {
        using var rig = new Rig();
        Assert.Equal(4, rig.Device.DeviceType);
        Assert.Single(rig.Device.QueueMaxSizes);
        Span<byte> config = stackalloc byte[8];
        config.Fill(0xff);
        rig.Device.ReadConfig(0, config);
        Assert.True(config.IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void FillsTheWritableBufferAndReportsTheLength()
    {
        using var rig = new Rig();
        ulong buffer = rig.Set.OfferWritable(0, 64);
        rig.Device.QueueNotify(0);

        Assert.Equal([(0u, 64u)], rig.Set.UsedSince(0, 0));
        Assert.Equal(Enumerable.Range(1, 64).Select(i => (byte)i).ToArray(), rig.Set.Read(buffer, 64));
        Assert.Equal(1, rig.Set.Interrupt.Signals(0));
        Assert.Equal(64, rig.Device.BytesServed);
    }

    [Fact]
    public void ScatteredBuffersAreFilledInOrderAndReadableOnesIgnored()
    {
        using var rig = new Rig();
        ulong readable = rig.Set.Allocate(16), a = rig.Set.Allocate(10), b = rig.Set.Allocate(6);
        rig.Set.Memory.Write(readable, new byte[16]);
        rig.Set.Offer(0, (readable, 16, false), (a, 10, true), (b, 6, true));
        rig.Device.QueueNotify(0);

        Assert.Equal(16u, rig.Set.Drivers[0].UsedElement(0).Length);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (byte)i).ToArray(), rig.Set.Read(a, 10));
        Assert.Equal(Enumerable.Range(11, 6).Select(i => (byte)i).ToArray(), rig.Set.Read(b, 6));
        Assert.Equal(new byte[16], rig.Set.Read(readable, 16));
    }

    [Fact]
    public void ARequestGetsAtMostTheConfiguredBytes()
    {
        using var rig = new Rig(new VirtioRngOptions { MaxBytesPerRequest = 100 });
        ulong buffer = rig.Set.Allocate(4096);
        rig.Set.Memory.Write(buffer, Enumerable.Repeat((byte)0xee, 4096).ToArray());
        rig.Set.Offer(0, (buffer, 4096, true));
        rig.Device.QueueNotify(0);

        Assert.Equal(100u, rig.Set.Drivers[0].UsedElement(0).Length);
        Assert.Equal(0xee, rig.Set.Read(buffer + 100, 1)[0]);
        Assert.NotEqual(0xee, rig.Set.Read(buffer + 99, 1)[0]);
    }

    [Fact]
    public void AChainWithoutWritableBytesCompletesEmpty()
    {
        using var rig = new Rig();
        rig.Set.OfferBytes(0, [1, 2, 3]);
        rig.Device.QueueNotify(0);
        Assert.Equal((0u, 0u), rig.Set.Drivers[0].UsedElement(0));
        Assert.Equal(0, rig.Source.Calls);
    }

    [Fact]
    public void AChainOutsideRamFailsAloneAndTheNextIsServed()
    {
        using var rig = new Rig();
        rig.Set.Offer(0, (0xFFFF_0000, 64, true));
        ulong good = rig.Set.OfferWritable(0, 8);
        rig.Device.QueueNotify(0);

        Assert.Equal([(0u, 0u), (1u, 8u)], rig.Set.UsedSince(0, 0));
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (byte)i).ToArray(), rig.Set.Read(good, 8));
        Assert.Empty(rig.Set.Interrupt.NeedsResetReasons);
    }

    [Fact]
    public void ABrokenRingSetsNeedsResetOnceAndKicksAreIgnoredUntilReset()
    {
        using var rig = new Rig();
        rig.Set.Drivers[0].SetAvailIdx(100); // more than the queue size ahead
        rig.Device.QueueNotify(0);
        rig.Device.QueueNotify(0);
        Assert.Single(rig.Set.Interrupt.NeedsResetReasons);
        Assert.Contains("virtio-rng", rig.Set.Interrupt.NeedsResetReasons[0]);
        Assert.Equal(0, rig.Set.Drivers[0].UsedIdx);
    }

    [Fact]
    public void AfterResetKicksDoNothing()
    {
        using var rig = new Rig();
        rig.Device.Reset();
        rig.Set.OfferWritable(0, 8);
        rig.Device.QueueNotify(0);
        rig.Device.ServicePending();
        Assert.Equal(0, rig.Set.Drivers[0].UsedIdx);
    }

    [Fact]
    public void TheRateLimitHoldsRequestsUntilTheNextWindowAndWakesTheDevice()
    {
        using var rig = new Rig(new VirtioRngOptions { MaxBytesPerPeriod = 1000, Period = TimeSpan.FromSeconds(1) }, wake: true);
        for (int i = 0; i < 3; i++) rig.Set.OfferWritable(0, 600);
        rig.Device.QueueNotify(0);

        // 600, then the 400 left in the window, then nothing.
        Assert.Equal([(0u, 600u), (1u, 400u)], rig.Set.UsedSince(0, 0));
        Assert.Equal(1, rig.Device.ThrottleEvents);
        Assert.Equal(0, rig.Wakes);

        rig.Time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(0, rig.Wakes);
        rig.Device.ServicePending(); // early: still nothing
        Assert.Equal(2, rig.Set.Drivers[0].UsedIdx);

        rig.Time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(1, rig.Wakes);
        rig.Device.ServicePending();
        Assert.Equal((2u, 600u), rig.Set.Drivers[0].UsedElement(2));
        Assert.Equal(1600, rig.Device.BytesServed);
    }

    [Fact]
    public void ARateLimitWithoutAWakeIsRefused()
    {
        using var set = new QueueSet(1);
        Assert.Throws<ArgumentNullException>(() => new RngDevice(set.Memory, new VirtioRngOptions { MaxBytesPerPeriod = 10 }));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(32 << 20)]
    public void AbsurdPerRequestCapsAreRefused(int cap)
    {
        using var set = new QueueSet(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RngDevice(set.Memory, new VirtioRngOptions { MaxBytesPerRequest = cap }));
    }

    [Fact]
    public void TheHostSourceGivesNonZeroBytes()
    {
        using var set = new QueueSet(1);
        using var device = new RngDevice(set.Memory);
        device.Activate(device.DeviceFeatures, set.Queues, set.Interrupt);
        ulong buffer = set.OfferWritable(0, 4096);
        device.QueueNotify(0);
        var bytes = set.Read(buffer, 4096);
        Assert.True(bytes.Distinct().Count() > 200, "4 KiB of host entropy should use most byte values");
    }

    [Fact]
    public void ServingRequestsAllocatesNothing()
    {
        using var rig = new Rig(new VirtioRngOptions { MaxBytesPerPeriod = 1UL << 40 }, wake: true);
        ulong buffer = rig.Set.Allocate(256);
        void OfferBatch()
        {
            for (int i = 0; i < 8; i++) rig.Set.Offer(0, (buffer, 256, true));
        }
        var windows = Allocations.Measure(OfferBatch, () => rig.Device.QueueNotify(0));
        Assert.Equal(windows.Runs * 8, rig.Set.Drivers[0].UsedIdx);
        windows.AssertNothingAllocated("serving 8 requests");
    }
}
