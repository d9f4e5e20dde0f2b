using Xenon.Devices.Tests.Support;
using Xenon.Devices.Virtio.Balloon;
using Xenon.Machine.Memory;
using static Xenon.Devices.Tests.VirtioBalloon.Residency;

namespace Xenon.Devices.Tests.VirtioBalloon;

public sealed class VirtioBalloonTests
{
    private const int Inflate = 0, Deflate = 1, Reporting = 3;
    private const ulong MiB = X86Layout.MiB;

    [Fact]
    public void IdentityFeaturesAndQueues()
    {
        using var rig = new BalloonRig();
        Assert.Equal(5, rig.Device.DeviceType);
        Assert.Equal(4, rig.Device.QueueMaxSizes.Count);
        ulong f = rig.Device.DeviceFeatures;
        Assert.NotEqual(0UL, f & VirtioBalloonFeatures.StatsVq);
        Assert.NotEqual(0UL, f & VirtioBalloonFeatures.DeflateOnOom);
        Assert.NotEqual(0UL, f & VirtioBalloonFeatures.Reporting);
        Assert.Equal(0UL, f & (VirtioBalloonFeatures.MustTellHost | VirtioBalloonFeatures.FreePageHint | VirtioBalloonFeatures.PagePoison));
    }

    [Fact]
    public void SetTargetUpdatesNumPagesAndRaisesAConfigInterrupt()
    {
        using var rig = new BalloonRig();
        rig.Device.SetTarget(1000);
        Assert.Equal(1000UL, rig.Device.TargetPages);
        Assert.Equal(1000u, rig.ReadConfig32(0));
        Assert.Equal(1, rig.ConfigChanges);

        rig.Device.SetTarget(1000); // unchanged: no interrupt
        Assert.Equal(1, rig.ConfigChanges);
        rig.Device.SetTarget(0);
        Assert.Equal(2, rig.ConfigChanges);

        Assert.Throws<ArgumentOutOfRangeException>(() => rig.Device.SetTarget(BalloonRig.RamBytes / 4096 + 1));
        Assert.Equal(2, rig.ConfigChanges);
    }

    [Fact]
    public void TheDriverWritesActualAndOnlyActual()
    {
        using var rig = new BalloonRig();
        rig.Device.SetTarget(77);
        rig.Device.WriteConfig(4, [0x34, 0x12, 0, 0]);
        Assert.Equal(0x1234UL, rig.Device.ActualPages);
        rig.Device.WriteConfig(5, [0x56]); // a byte-wide write merges
        Assert.Equal(0x5634UL, rig.Device.ActualPages);
        rig.Device.WriteConfig(0, [9, 9, 9, 9, 1, 0, 0, 0, 9, 9]); // num_pages and beyond are not the driver's
        Assert.Equal(77u, rig.ReadConfig32(0));
        Assert.Equal(1u, rig.ReadConfig32(4));
        rig.Device.WriteConfig(-3, [1, 2, 3, 4, 5, 6]);
        rig.Device.WriteConfig(int.MaxValue, [1]);
        Span<byte> tail = stackalloc byte[8];
        rig.Device.ReadConfig(8, tail);
        Assert.True(tail.IndexOfAnyExcept((byte)0) < 0);
    }

    [Theory]
    [InlineData(GuestMemoryBacking.Anonymous)]
    [InlineData(GuestMemoryBacking.SharedMemfd)]
    public void InflatingGivesThePagesBackToTheHost(GuestMemoryBacking backing)
    {
        using var rig = new BalloonRig(backing: backing);
        Touch(rig.Set.Memory, 16 * MiB, 4 * MiB);
        Assert.Equal(4 * MiB / Page, ResidentPages(rig.Set.Memory, 16 * MiB, 4 * MiB));

        // Linux sends at most 256 PFNs a request.
        var pfns = BalloonRig.PfnRange(17 * MiB, 2 * MiB);
        rig.SendPfns(Inflate, pfns[..256]);
        rig.SendPfns(Inflate, pfns[256..]);

        Assert.Equal(0UL, ResidentPages(rig.Set.Memory, 17 * MiB, 2 * MiB));
        Assert.Equal(MiB / Page, ResidentPages(rig.Set.Memory, 16 * MiB, MiB));
        Assert.Equal(MiB / Page, ResidentPages(rig.Set.Memory, 19 * MiB, MiB));
        Assert.Equal(512UL, rig.Device.InflatedPages);
        Assert.Equal(0, rig.Set.Memory.Read<byte>(18 * MiB));
        Assert.Equal(Pattern(19 * MiB), rig.Set.Memory.Read<byte>(19 * MiB));
        Assert.Equal([(0u, 0u), (1u, 0u)], rig.Set.UsedSince(Inflate, 0));
        Assert.Equal(2, rig.Set.Interrupt.Signals(Inflate));
    }

    [Fact]
    public void ScatteredPfnsAreEachReleased()
    {
        using var rig = new BalloonRig();
        Touch(rig.Set.Memory, 16 * MiB, MiB);
        uint basePfn = (uint)(16 * MiB / Page);
        rig.SendPfns(Inflate, basePfn + 200, basePfn + 3, basePfn + 4, basePfn + 100);
        Assert.Equal(4UL, rig.Device.InflatedPages);
        Assert.Equal(MiB / Page - 4, ResidentPages(rig.Set.Memory, 16 * MiB, MiB));
        foreach (uint p in new[] { 3u, 4u, 100u, 200u })
            Assert.Equal(0UL, ResidentPages(rig.Set.Memory, (basePfn + p) * Page, Page));
    }

    [Fact]
    public void PfnsOutsideRamAreCountedAndIgnored()
    {
        using var rig = new BalloonRig();
        Touch(rig.Set.Memory, 16 * MiB, MiB);
        uint good = (uint)(16 * MiB / Page);
        rig.SendPfns(Inflate, (uint)(BalloonRig.RamBytes / Page), good, uint.MaxValue, (uint)(BalloonRig.RamBytes / Page) + 7);

        Assert.Equal(3UL, rig.Device.InvalidPfns);
        Assert.Equal(1UL, rig.Device.InflatedPages);
        Assert.Equal(MiB / Page - 1, ResidentPages(rig.Set.Memory, 16 * MiB, MiB));
        Assert.Empty(rig.Set.Interrupt.NeedsResetReasons);
    }

    [Fact]
    public void APartialPfnAndAnOversizedRequestAreCounted()
    {
        using var rig = new BalloonRig();
        rig.Set.OfferBytes(Inflate, [0, 0x10, 0, 0, 0xff, 0xff]); // one PFN (0x1000 → 16 MiB) and two stray bytes
        rig.Device.QueueNotify(Inflate);
        Assert.Equal(1UL, rig.Device.InflatedPages);
        Assert.Equal(1UL, rig.Device.InvalidPfns);

        var many = BalloonRig.PfnRange(20 * MiB, (Xenon.Devices.Virtio.Balloon.VirtioBalloon.MaxPfnsPerRequest + 10) * Page);
        rig.SendPfns(Inflate, many);
        Assert.Equal(1UL + Xenon.Devices.Virtio.Balloon.VirtioBalloon.MaxPfnsPerRequest, rig.Device.InflatedPages);
        Assert.Equal(11UL, rig.Device.InvalidPfns);
    }

    [Fact]
    public void DeflatingOnlyCountsAndLeavesMemoryAlone()
    {
        using var rig = new BalloonRig();
        var pfns = BalloonRig.PfnRange(16 * MiB, 64 * Page);
        rig.SendPfns(Inflate, pfns);
        Touch(rig.Set.Memory, 24 * MiB, MiB);
        rig.SendPfns(Deflate, pfns[..10]);
        Assert.Equal(54UL, rig.Device.InflatedPages);
        rig.SendPfns(Deflate, BalloonRig.PfnRange(24 * MiB, MiB)); // more than inflated: the count stops at zero
        Assert.Equal(0UL, rig.Device.InflatedPages);
        Assert.Equal(MiB / Page, ResidentPages(rig.Set.Memory, 24 * MiB, MiB));
        Assert.Equal(Pattern(24 * MiB), rig.Set.Memory.Read<byte>(24 * MiB));
        Assert.Equal(2, rig.Set.Drivers[Deflate].UsedIdx);
    }

    [Fact]
    public void FreePageReportsAreReleased()
    {
        using var rig = new BalloonRig();
        Touch(rig.Set.Memory, 32 * MiB, 8 * MiB);
        // Two 2 MiB blocks in one report, and a ragged buffer whose whole pages only are released.
        rig.Set.Offer(Reporting, (32 * MiB, (uint)(2 * MiB), true), (36 * MiB, (uint)(2 * MiB), true));
        rig.Set.Offer(Reporting, (39 * MiB + 100, (uint)(3 * Page), true));
        rig.Device.QueueNotify(Reporting);

        Assert.Equal(0UL, ResidentPages(rig.Set.Memory, 32 * MiB, 2 * MiB));
        Assert.Equal(0UL, ResidentPages(rig.Set.Memory, 36 * MiB, 2 * MiB));
        Assert.Equal(2 * MiB / Page, ResidentPages(rig.Set.Memory, 34 * MiB, 2 * MiB));
        // The ragged buffer covers pages 1 and 2 of 39 MiB whole, pages 0 and 3 only in part.
        Assert.Equal(0UL, ResidentPages(rig.Set.Memory, 39 * MiB + Page, 2 * Page));
        Assert.Equal(1UL, ResidentPages(rig.Set.Memory, 39 * MiB, Page));
        Assert.Equal(1UL, ResidentPages(rig.Set.Memory, 39 * MiB + 3 * Page, Page));
        Assert.Equal(2 * 512UL + 2, rig.Device.ReportedPages);
        Assert.Equal([(0u, 0u), (2u, 0u)], rig.Set.UsedSince(Reporting, 0));
        Assert.Equal(0UL, rig.Device.InflatedPages);
    }

    [Fact]
    public void WithoutStatsTheReportingQueueMovesUp()
    {
        using var rig = new BalloonRig(features: VirtioBalloonFeatures.Reporting);
        Touch(rig.Set.Memory, 32 * MiB, 2 * MiB);
        rig.Set.Offer(2, (32 * MiB, (uint)(2 * MiB), true));
        rig.Device.QueueNotify(2);
        Assert.Equal(512UL, rig.Device.ReportedPages);
        Assert.False(rig.Device.RequestStats());
        rig.Set.Offer(3, (32 * MiB, 4096, true));
        rig.Device.QueueNotify(3); // no fourth queue without STATS_VQ: ignored
        Assert.Equal(0, rig.Set.Drivers[3].UsedIdx);
    }

    [Fact]
    public void ResetEmptiesTheBalloonButKeepsTheTarget()
    {
        using var rig = new BalloonRig();
        rig.Device.SetTarget(123);
        rig.SendPfns(Inflate, BalloonRig.PfnRange(16 * MiB, 8 * Page));
        rig.Device.WriteConfig(4, [8, 0, 0, 0]);
        rig.Device.Reset();
        Assert.Equal(0UL, rig.Device.InflatedPages);
        Assert.Equal(0UL, rig.Device.ActualPages);
        Assert.Equal(123UL, rig.Device.TargetPages);
        rig.SendPfns(Inflate, BalloonRig.PfnRange(20 * MiB, Page));
        Assert.Equal(0UL, rig.Device.InflatedPages); // not running
    }

    [Fact]
    public void ABrokenRingSetsNeedsResetOnce()
    {
        using var rig = new BalloonRig();
        rig.Set.Drivers[Deflate].SetAvailIdx(500);
        rig.Device.QueueNotify(Deflate);
        rig.Device.QueueNotify(Inflate);
        Assert.Single(rig.Set.Interrupt.NeedsResetReasons);
        Assert.Contains("virtio-balloon queue 1", rig.Set.Interrupt.NeedsResetReasons[0]);
    }

    [Fact]
    public void ChainFaultsCompleteTheHeadAndServingGoesOn()
    {
        using var rig = new BalloonRig();
        rig.Set.Offer(Inflate, (0xFFFF_F000, 8, false));
        rig.SendPfns(Inflate, (uint)(16 * MiB / Page));
        Assert.Equal([(0u, 0u), (1u, 0u)], rig.Set.UsedSince(Inflate, 0));
        Assert.Equal(1UL, rig.Device.InflatedPages);
    }

    [Fact]
    public void InflatingAllocatesNothing()
    {
        using var rig = new BalloonRig();
        var bytes = new byte[256 * 4];
        ulong at = rig.Set.Allocate((uint)bytes.Length);
        for (int i = 0; i < 256; i++) BitConverter.TryWriteBytes(bytes.AsSpan(i * 4), (uint)(16 * MiB / Page) + (uint)(i * 3 % 300));
        rig.Set.Memory.Write(at, bytes);
        var windows = Allocations.Measure(
            prepare: () => { for (int i = 0; i < 4; i++) rig.Set.Offer(Inflate, (at, (uint)bytes.Length, false)); },
            measured: () => rig.Device.QueueNotify(Inflate));
        Assert.Equal(windows.Runs * 4, rig.Set.Drivers[Inflate].UsedIdx);
        windows.AssertNothingAllocated("inflating 4 lists of 256 pages");
    }

    [Fact]
    public void RandomPfnListsReleaseExactlyTheValidPagesTheyName()
    {
        using var rig = new BalloonRig();
        var random = new Random(1234);
        const ulong Window = 8 * MiB, Start = 40 * MiB;
        Touch(rig.Set.Memory, Start, Window);
        var named = new HashSet<uint>();
        for (int request = 0; request < 50; request++)
        {
            var pfns = new uint[random.Next(0, 300)];
            for (int i = 0; i < pfns.Length; i++)
            {
                pfns[i] = random.Next(4) switch
                {
                    0 => (uint)random.Next(),                                          // mostly outside RAM
                    1 => (uint)(BalloonRig.RamBytes / Page) + (uint)random.Next(1000), // just past the end
                    _ => (uint)(Start / Page) + (uint)random.Next((int)(Window / Page)),
                };
                if (pfns[i] >= Start / Page && pfns[i] < (Start + Window) / Page) named.Add(pfns[i]);
            }
            rig.SendPfns(Inflate, pfns);
        }
        for (ulong gpa = Start; gpa < Start + Window; gpa += Page)
        {
            bool released = named.Contains((uint)(gpa / Page));
            Assert.Equal(released ? 0UL : 1UL, ResidentPages(rig.Set.Memory, gpa, Page));
            Assert.Equal(released ? (byte)0 : Pattern(gpa), rig.Set.Memory.Read<byte>(gpa));
        }
        Assert.Empty(rig.Set.Interrupt.NeedsResetReasons);
    }
}
