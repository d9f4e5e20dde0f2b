using System.Buffers.Binary;
using System.Diagnostics;
using Xenon.Machine.Backend;
using Xenon.Machine.Memory;
using Xenon.Machine.Soft;
using Xenon.Machine.Soft.Clock;

namespace Xenon.Machine.Tests.Soft;

/// <summary>kvmclock on the soft backend: the pvclock scale, the per-vCPU page, the wall clock, hostile GPAs, state transfer.</summary>
public sealed class KvmClockTests
{
    private const uint SystemTime = KvmClock.MsrSystemTimeNew, WallClock = KvmClock.MsrWallClockNew;

    [Theory]
    [InlineData(1_000_000_000L)]
    [InlineData(2_500_000_000L)]
    [InlineData(3_000_000_000L)]
    [InlineData(10_000_000L)]
    [InlineData(1_193_182L)]
    [InlineData(100_000_000_000L)]
    public void TheScaleTurnsOneSecondOfTicksIntoOneSecond(long hz)
    {
        var (mul, shift) = KvmClock.ScaleFor(hz);
        ulong ns = KvmClock.Scale((ulong)hz * 10, mul, shift);
        Assert.InRange((long)ns, 10_000_000_000L - 10, 10_000_000_000L + 10);
    }

    [Fact]
    public void ANanosecondCounterHasTheExactScale()
    {
        Assert.Equal((0x8000_0000u, (sbyte)1), KvmClock.ScaleFor(1_000_000_000));
        // what Linux's pvclock_tsc_khz gives from that pair: 1 GHz
        Assert.Equal(1_000_000UL, ((1_000_000UL << 32) / 0x8000_0000u) >> 1);
    }

    [Fact]
    public void EnablingTheSystemTimeMsrPublishesAStablePageThatReadsTheMachineClock()
    {
        using var memory = GuestMemory.Create([(0UL, 0x10000UL)]);
        using var backend = new SoftVmBackend(memory, 2);
        using var v0 = (SoftVcpuBackend)backend.CreateVcpu(0);
        using var v1 = (SoftVcpuBackend)backend.CreateVcpu(1);
        v1.Cpu.WriteMsr(0x10, 12345); // a different TSC on vCPU 1: its page must still give the same time
        Assert.True(v0.Cpu.WriteMsr(SystemTime, 0x2000 | 1));
        Assert.True(v1.Cpu.WriteMsr(SystemTime, 0x2040 | 1));
        Assert.True(v0.Cpu.ReadMsr(SystemTime, out ulong back));
        Assert.Equal(0x2001UL, back);

        var page = memory.GetSpan(0x2000, 32).ToArray();
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(page) & 1); // version even: not mid-update
        Assert.Equal(backend.Clock.Mul, BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(24)));
        Assert.Equal(1, page[29] & 1); // PVCLOCK_TSC_STABLE_BIT

        long c0 = GuestRead(memory, 0x2000, v0), c1 = GuestRead(memory, 0x2040, v1), host = backend.Clock.NowNs;
        Assert.InRange(c1 - c0, 0, 50_000_000); // read one after the other: same clock, not vCPU-specific
        Assert.InRange(host - c1, 0, 50_000_000);
        Thread.Sleep(20);
        long later = GuestRead(memory, 0x2000, v0);
        Assert.InRange(later - c0, 19_000_000, 2_000_000_000);
    }

    [Fact]
    public void TheWallClockIsTheTimeAtKvmclockZero()
    {
        using var memory = GuestMemory.Create([(0UL, 0x10000UL)]);
        using var backend = new SoftVmBackend(memory);
        using var v = (SoftVcpuBackend)backend.CreateVcpu(0);
        Assert.True(v.Cpu.WriteMsr(WallClock, 0x3000));
        var wall = memory.GetSpan(0x3000, 12);
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(wall) & 1);
        long sec = BinaryPrimitives.ReadUInt32LittleEndian(wall[4..]);
        uint nsec = BinaryPrimitives.ReadUInt32LittleEndian(wall[8..]);
        Assert.InRange(nsec, 0u, 999_999_999u);
        long guestNow = sec + (backend.Clock.NowNs + nsec) / 1_000_000_000;
        Assert.InRange(guestNow - DateTimeOffset.UtcNow.ToUnixTimeSeconds(), -2, 2);
    }

    [Theory]
    [InlineData(0x1_0000_0001UL)] // beyond RAM
    [InlineData(0xFFF1UL)] // the 32 bytes would cross the end of RAM
    [InlineData(0xFFFF_FFFF_FFFF_FFFFUL)]
    [InlineData(0x8000_0000_0000_0001UL)]
    [InlineData(0x2000UL)] // not enabled: nothing written
    public void HostileOrDisabledGpasAreAcceptedAndWriteNothing(ulong value)
    {
        using var memory = GuestMemory.Create([(0UL, 0x10000UL)]);
        using var backend = new SoftVmBackend(memory);
        using var v = (SoftVcpuBackend)backend.CreateVcpu(0);
        Assert.True(v.Cpu.WriteMsr(SystemTime, value));
        Assert.True(v.Cpu.ReadMsr(SystemTime, out ulong back));
        Assert.Equal(value, back);
        v.Cpu.WriteMsr(0x10, 0); // a TSC write republishes: still nothing
        Assert.True(AllZero(memory));
    }

    [Theory]
    [InlineData(0x1_0000_0000UL)]
    [InlineData(0xFFF8UL)] // the 12 bytes would cross the end of RAM
    [InlineData(0xFFFF_FFFF_FFFF_FFFFUL)]
    public void AWallClockOutsideRamIsAcceptedAndWritesNothing(ulong gpa)
    {
        using var memory = GuestMemory.Create([(0UL, 0x10000UL)]);
        using var backend = new SoftVmBackend(memory);
        using var v = (SoftVcpuBackend)backend.CreateVcpu(0);
        Assert.True(v.Cpu.WriteMsr(WallClock, gpa));
        Assert.True(v.Cpu.ReadMsr(WallClock, out ulong back));
        Assert.Equal(gpa, back);
        Assert.True(AllZero(memory));
    }

    [Fact]
    public void StateTransferCarriesTheClockAndTheMsrsAndRepublishes()
    {
        using var memory = GuestMemory.Create([(0UL, 0x10000UL)]);
        using var backend = new SoftVmBackend(memory);
        backend.CreateInterruptControllers();
        using var v = (SoftVcpuBackend)backend.CreateVcpu(0);
        v.Cpu.WriteMsr(SystemTime, 0x2001);
        var platform = backend.GetPlatformState();
        Assert.InRange((long)platform.ClockNs, 1, backend.Clock.NowNs);
        var state = v.GetState();
        Assert.Contains(new MsrEntry(SystemTime, 0x2001), state.Msrs);

        using var memory2 = GuestMemory.Create([(0UL, 0x10000UL)]);
        using var backend2 = new SoftVmBackend(memory2);
        backend2.CreateInterruptControllers();
        using var w = (SoftVcpuBackend)backend2.CreateVcpu(0);
        platform.ClockNs += 3_600_000_000_000; // an hour on: the guest's clock must continue from there
        backend2.SetPlatformState(platform);
        w.SetState(state);
        long read = GuestRead(memory2, 0x2000, w);
        Assert.InRange(read - (long)platform.ClockNs, 0, 2_000_000_000);
        Assert.True(w.Cpu.ReadMsr(SystemTime, out ulong msr));
        Assert.Equal(0x2001UL, msr);
    }

    private static bool AllZero(GuestMemory memory) => memory.GetSpan(0, 0x10000).IndexOfAnyExcept((byte)0) < 0;

    // What the guest's pvclock_clocksource_read computes from its page and a RDTSC on that vCPU.
    private static long GuestRead(GuestMemory memory, ulong gpa, SoftVcpuBackend v)
    {
        var p = memory.GetSpan(gpa, 32);
        ulong tscTimestamp = BinaryPrimitives.ReadUInt64LittleEndian(p[8..]);
        ulong systemTime = BinaryPrimitives.ReadUInt64LittleEndian(p[16..]);
        uint mul = BinaryPrimitives.ReadUInt32LittleEndian(p[24..]);
        sbyte shift = (sbyte)p[28];
        return (long)(systemTime + KvmClock.Scale(v.Cpu.Tsc - tscTimestamp, mul, shift));
    }
}
