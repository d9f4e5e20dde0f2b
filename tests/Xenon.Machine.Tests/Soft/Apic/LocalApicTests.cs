using Xenon.Machine.Soft.Apic;
using static Xenon.Machine.Soft.Apic.ApicRegisters;
using static Xenon.Machine.Tests.Soft.Apic.ApicRig;

namespace Xenon.Machine.Tests.Soft.Apic;

/// <summary>Register semantics of the soft local APIC, without a CPU: reset values, priority, IPIs, destinations,
/// INIT/SIPI, the timer, the error register, and what malformed guest values do.</summary>
public sealed class LocalApicTests
{
    [Fact]
    public void ResetValuesAreTheArchitecturalOnesWithTheBootProcessorsLint0AsExtInt()
    {
        var rig = new ApicRig();
        Assert.Equal(0u, Read(rig[0], Id));
        Assert.Equal(1u << 24, Read(rig[1], Id));
        Assert.Equal(0x50014u, Read(rig[0], VersionRegister));
        Assert.Equal(0xFFu, Read(rig[0], Svr));
        Assert.Equal(0xFFFF_FFFFu, Read(rig[0], Dfr));
        Assert.Equal(0x700u, Read(rig[0], LvtLint0));                 // ExtINT, unmasked: the PIC reaches the BSP
        Assert.Equal(0x10700u, Read(rig[1], LvtLint0));               // masked on an AP
        Assert.Equal(0x10400u, Read(rig[0], LvtLint1));               // NMI, masked
        foreach (int lvt in new[] { LvtTimer, LvtThermal, LvtPerf, LvtError }) Assert.Equal(LvtMasked, Read(rig[0], lvt));
        Assert.True(rig[0].AcceptsPic);
        Assert.False(rig[1].AcceptsPic);
    }

    [Fact]
    public void AFixedIpiIsRequestedAcknowledgedAndEnded()
    {
        var rig = new ApicRig().Enabled();
        SendIpi(rig[0], 0x40, destination: 1);
        Assert.True(Bit(rig[1], Irr, 0x40));
        Assert.True(rig[1].HasPendingInterrupt);
        Assert.False(rig[0].HasPendingInterrupt);
        Assert.Equal(1, rig.Hosts[1].Wakes);
        Assert.Equal(0x40, rig[1].AcknowledgeInterrupt());
        Assert.False(Bit(rig[1], Irr, 0x40));
        Assert.True(Bit(rig[1], Isr, 0x40));
        Assert.Equal(0x40u, Read(rig[1], Ppr));
        Assert.False(rig[1].HasPendingInterrupt);
        Write(rig[1], Eoi, 0);
        Assert.False(Bit(rig[1], Isr, 0x40));
        Assert.Equal(0u, Read(rig[1], Ppr));
        Assert.Equal(0u, Read(rig[0], IcrLow) & (1u << 12)); // delivery status: idle
    }

    [Fact]
    public void TaskPriorityAndInServiceVectorsHoldBackLowerClasses()
    {
        var rig = new ApicRig(1).Enabled();
        var apic = rig[0];
        Write(apic, Tpr, 0x50);
        Assert.Equal(5UL, apic.TaskPriorityClass); // CR8 is TPR[7:4]
        SendIpi(apic, 0x45 | (1u << 18)); // self
        Assert.True(Bit(apic, Irr, 0x45));
        Assert.False(apic.HasPendingInterrupt);
        apic.TaskPriorityClass = 3;
        Assert.Equal(0x30u, Read(apic, Tpr));
        Assert.True(apic.HasPendingInterrupt);
        SendIpi(apic, 0x61 | (1u << 18));
        Assert.Equal(0x61, apic.AcknowledgeInterrupt()); // the highest first
        SendIpi(apic, 0x62 | (1u << 18));
        Assert.False(apic.HasPendingInterrupt); // same class as the one in service
        Assert.Equal(-1, apic.AcknowledgeInterrupt());
        Write(apic, Eoi, 0);
        Assert.Equal(0x62, apic.AcknowledgeInterrupt());
        Write(apic, Eoi, 0);
        Assert.Equal(0x45, apic.AcknowledgeInterrupt());
        Write(apic, Eoi, 0);
        Write(apic, Eoi, 0); // an EOI with nothing in service is harmless
        Assert.False(apic.HasPendingInterrupt);
    }

    [Fact]
    public void ASoftwareDisabledApicDropsFixedInterruptsAndKeepsItsLvtsMasked()
    {
        var rig = new ApicRig();
        SendIpi(rig[0], 0x40, destination: 1);
        Assert.False(Bit(rig[1], Irr, 0x40));
        Write(rig[1], LvtTimer, 0x30);
        Assert.Equal(LvtMasked | 0x30, Read(rig[1], LvtTimer));
        Write(rig[1], Svr, 0x1FF);
        Write(rig[1], LvtTimer, 0x30);
        Assert.Equal(0x30u, Read(rig[1], LvtTimer));
        Write(rig[1], Svr, 0xFF); // disabling masks every LVT again
        Assert.Equal(LvtMasked | 0x30, Read(rig[1], LvtTimer));
    }

    [Fact]
    public void IllegalVectorsAreReportedInTheErrorRegisterAndThroughTheErrorLvt()
    {
        var rig = new ApicRig().Enabled();
        Write(rig[0], LvtError, 0xFE);
        SendIpi(rig[0], 0x05, destination: 1); // fixed vector < 16: not sent
        Assert.False(Bit(rig[1], Irr, 0x05));
        Assert.Equal(0u, Read(rig[0], Esr)); // errors show after an ESR write
        Write(rig[0], Esr, 0);
        Assert.Equal(EsrSendIllegalVector, Read(rig[0], Esr));
        Assert.True(Bit(rig[0], Irr, 0xFE)); // the error interrupt
        rig[1].Accept(new ApicMessage(3, DeliveryMode.Fixed, false, 1, false)); // an MSI or IOAPIC with vector 3
        Write(rig[1], Esr, 0);
        Assert.Equal(EsrReceiveIllegalVector, Read(rig[1], Esr));
        Write(rig[1], Esr, 0);
        Assert.Equal(0u, Read(rig[1], Esr)); // cleared by the next write
    }

    [Fact]
    public void ShorthandsSelectSelfAllAndAllButSelf()
    {
        var rig = new ApicRig(3).Enabled();
        SendIpi(rig[1], 0x50 | (1u << 18)); // self
        Assert.Equal([false, true, false], rig.Apics.Select(a => Bit(a, Irr, 0x50)));
        SendIpi(rig[1], 0x51 | (2u << 18)); // all including self
        Assert.Equal([true, true, true], rig.Apics.Select(a => Bit(a, Irr, 0x51)));
        SendIpi(rig[1], 0x52 | (3u << 18)); // all excluding self
        Assert.Equal([true, false, true], rig.Apics.Select(a => Bit(a, Irr, 0x52)));
        SendIpi(rig[1], 0x53, destination: 0xFF); // physical broadcast
        Assert.Equal([true, true, true], rig.Apics.Select(a => Bit(a, Irr, 0x53)));
        SendIpi(rig[1], 0x54, destination: 7); // nobody
        Assert.DoesNotContain(true, rig.Apics.Select(a => Bit(a, Irr, 0x54)));
    }

    [Fact]
    public void LogicalDestinationsFollowTheFlatAndClusterModels()
    {
        var rig = new ApicRig(3).Enabled();
        for (int i = 0; i < 3; i++) Write(rig[i], Ldr, (1u << i) << 24); // flat: one bit each
        SendIpi(rig[0], 0x60 | (1u << 11), destination: 0b110);
        Assert.Equal([false, true, true], rig.Apics.Select(a => Bit(a, Irr, 0x60)));

        // cluster model: cluster 1 holds APICs 0 and 1 (bits 0, 1), cluster 2 holds APIC 2
        foreach (var a in rig.Apics) Write(a, Dfr, 0x0FFF_FFFF);
        Assert.Equal(0x0FFF_FFFFu, Read(rig[0], Dfr));
        Write(rig[0], Ldr, 0x11u << 24);
        Write(rig[1], Ldr, 0x12u << 24);
        Write(rig[2], Ldr, 0x21u << 24);
        SendIpi(rig[0], 0x61 | (1u << 11), destination: 0x12);
        Assert.Equal([false, true, false], rig.Apics.Select(a => Bit(a, Irr, 0x61)));
        SendIpi(rig[0], 0x62 | (1u << 11), destination: 0xF1); // every cluster, member bit 0
        Assert.Equal([true, false, true], rig.Apics.Select(a => Bit(a, Irr, 0x62)));
    }

    [Fact]
    public void LowestPriorityGoesToTheApicWithTheLowestProcessorPriority()
    {
        var rig = new ApicRig(2).Enabled();
        Write(rig[0], Tpr, 0x80);
        SendIpi(rig[0], 0x70 | (1u << 8) | (1u << 11), destination: 0xFF); // lowest priority, logical broadcast
        Assert.False(Bit(rig[0], Irr, 0x70));
        Assert.True(Bit(rig[1], Irr, 0x70));
    }

    [Fact]
    public void InitAndStartupIpisReachTheTargetsVcpu()
    {
        var rig = new ApicRig();
        SendIpi(rig[0], 0x8500, destination: 1); // INIT level de-assert: nothing
        Assert.Equal(0, rig.Hosts[1].StartupEvents);
        SendIpi(rig[0], 0x4500, destination: 1); // INIT (accepted while software-disabled, as on hardware)
        SendIpi(rig[0], 0x4608, destination: 1); // SIPI vector 8
        Assert.Equal(2, rig.Hosts[1].StartupEvents);
        rig[1].TakeStartupEvents(out bool init, out int sipi);
        Assert.True(init);
        Assert.Equal(8, sipi);
        rig[1].TakeStartupEvents(out init, out sipi);
        Assert.False(init);
        Assert.Equal(-1, sipi);
        SendIpi(rig[0], 0x4400 | (1u << 18)); // NMI to self: a shorthand the mode does not allow
        Assert.Equal(0, rig.Hosts[0].Nmis);
        SendIpi(rig[0], 0x4400, destination: 1);
        Assert.Equal(1, rig.Hosts[1].Nmis);
        SendIpi(rig[0], 0x4700, destination: 1); // ExtINT through the ICR: invalid
        SendIpi(rig[0], 0x4300, destination: 1); // reserved delivery mode
        Assert.Equal(2, rig.Hosts[1].StartupEvents);
        Assert.Equal(1, rig.Hosts[1].Nmis);
    }

    [Fact]
    public void ThePicReachesTheCpuThroughLint0AsExtIntWhateverTheTaskPriority()
    {
        var pic = new FakePic { Vector = 0x20 };
        var rig = new ApicRig(2, pic).Enabled();
        Write(rig[0], Tpr, 0xF0);
        Assert.True(rig[0].HasPendingInterrupt);
        Assert.False(rig[1].HasPendingInterrupt); // LINT0 masked on the AP
        Assert.Equal(0x20, rig[0].AcknowledgeInterrupt());
        pic.Vector = 0x21;
        Write(rig[0], LvtLint0, LvtMasked | 0x700); // the OS switched to the IOAPIC
        Assert.False(rig[0].HasPendingInterrupt);
        rig.Hosts[0].ApicBase &= ~(1UL << 11); // hardware-disabled: the PIC goes straight to the CPU
        Write(rig[0], Tpr, 0); // any register write re-evaluates the routing
        Assert.True(rig[0].HasPendingInterrupt);
    }

    [Fact]
    public void MalformedAccessesAreMaskedIgnoredOrReported()
    {
        var rig = new ApicRig(1).Enabled();
        var apic = rig[0];
        Write(apic, LvtTimer, 0xFFFF_FFFF);
        Assert.Equal(LvtTimerMask, Read(apic, LvtTimer)); // no TSC-deadline mode bit, no delivery status
        Write(apic, LvtLint0, 0xFFFF_FFFF);
        Assert.Equal(LvtLintMask, Read(apic, LvtLint0));
        Write(apic, TimerDivide, 0xFFFF_FFFF);
        Assert.Equal(0xBu, Read(apic, TimerDivide));
        Write(apic, Ldr, 0xFFFF_FFFF);
        Assert.Equal(0xFF00_0000u, Read(apic, Ldr));
        Write(apic, VersionRegister, 0); // read-only
        Write(apic, Isr, 0xFFFF_FFFF);
        Write(apic, TimerCurrent, 5);
        Assert.Equal(0x50014u, Read(apic, VersionRegister));
        Assert.Equal(0u, Read(apic, Isr));
        apic.Write(Tpr, 1, 0xFF); // narrower than 32 bits: dropped
        apic.Write(Tpr + 4, 4, 0xFF); // not at the start of a slot: dropped
        Assert.Equal(0u, Read(apic, Tpr));
        Assert.Equal(0x14UL, apic.Read(VersionRegister, 1)); // narrow reads take bytes of the register
        Assert.Equal(0x05UL, apic.Read(VersionRegister + 2, 1));
        Assert.Equal(0UL, apic.Read(VersionRegister + 8, 4)); // the rest of the slot reads 0
        Write(apic, 0x3F0, 1); // no register there
        Assert.Equal(0u, Read(apic, 0x3F0));
        Assert.Equal(0UL, apic.Read(0x800, 4));
        Write(apic, Esr, 0);
        Assert.Equal(EsrIllegalRegister, Read(apic, Esr));
        var random = new Random(6);
        for (int i = 0; i < 100_000; i++)
        {
            uint offset = (uint)random.Next(0x1000);
            int size = 1 << random.Next(4);
            if (random.Next(2) == 0) apic.Write(offset, size, (ulong)random.NextInt64());
            else apic.Read(offset, size);
            if (apic.HasPendingInterrupt) apic.AcknowledgeInterrupt();
        }
    }

    [Fact]
    public void AOneShotTimerCountsDownFromTheInitialCountAndFiresOnce()
    {
        var rig = new ApicRig(1).Enabled();
        var apic = rig[0];
        Write(apic, TimerDivide, 0xB); // divide by 1: one count a nanosecond
        Write(apic, LvtTimer, 0x31);
        long before = ApicClock.Now();
        Write(apic, TimerInitial, 50_000_000); // 50 ms
        uint current = Read(apic, TimerCurrent);
        Assert.InRange(current, 1u, 50_000_000u);
        Assert.InRange(apic.TimerDeadline - before, ApicClock.CyclesToTicks(49_000_000), ApicClock.CyclesToTicks(51_000_000) + ApicClock.CyclesToTicks(1_000_000_000));
        apic.TimerExpired(apic.TimerDeadline - 1); // early: nothing
        Assert.False(Bit(apic, Irr, 0x31));
        apic.TimerExpired(apic.TimerDeadline);
        Assert.True(Bit(apic, Irr, 0x31));
        Assert.Equal(1, rig.Hosts[0].Wakes);
        Assert.Equal(long.MaxValue, apic.TimerDeadline);
        Assert.Equal(0u, Read(apic, TimerCurrent));
        Write(apic, TimerInitial, 0); // 0 stops a count
        Assert.Equal(long.MaxValue, apic.TimerDeadline);
    }

    [Fact]
    public void APeriodicTimerReloadsAndAMaskedOneKeepsCountingSilently()
    {
        var rig = new ApicRig(1).Enabled();
        var apic = rig[0];
        Write(apic, TimerDivide, 0x3); // divide by 16
        Write(apic, LvtTimer, TimerPeriodic | LvtMasked | 0x32);
        Write(apic, TimerInitial, 62_500); // 1 ms
        long period = ApicClock.CyclesToTicks(1_000_000);
        long first = apic.TimerDeadline;
        apic.TimerExpired(first);
        Assert.False(Bit(apic, Irr, 0x32));
        Assert.Equal(first + period, apic.TimerDeadline);
        Write(apic, LvtTimer, TimerPeriodic | 0x32);
        apic.TimerExpired(first + 5 * period + 1); // late: the missed periods collapse into one interrupt
        Assert.True(Bit(apic, Irr, 0x32));
        Assert.Equal(first + 6 * period, apic.TimerDeadline);
        Assert.InRange(Read(apic, TimerCurrent), 0u, 62_500u);
        Write(apic, LvtTimer, 0x32); // a mode change stops the count
        Assert.Equal(long.MaxValue, apic.TimerDeadline);
        Assert.Equal(0u, Read(apic, TimerInitial));
    }

    [Theory]
    [InlineData(0x0, 2)]
    [InlineData(0x1, 4)]
    [InlineData(0x2, 8)]
    [InlineData(0x3, 16)]
    [InlineData(0x8, 32)]
    [InlineData(0x9, 64)]
    [InlineData(0xA, 128)]
    [InlineData(0xB, 1)]
    public void TheDivideConfigurationScalesTheCount(uint divide, int divisor)
    {
        var rig = new ApicRig(1).Enabled();
        var apic = rig[0];
        Write(apic, TimerDivide, divide);
        Write(apic, LvtTimer, 0x33);
        long before = ApicClock.Now();
        Write(apic, TimerInitial, 1_000_000);
        long expected = ApicClock.CyclesToTicks(1_000_000L * divisor);
        Assert.InRange(apic.TimerDeadline - before, expected, expected + ApicClock.CyclesToTicks(500_000_000));
    }

    [Fact]
    public void TheTimerThreadFiresADueTimerAndWakesTheVcpu()
    {
        var rig = new ApicRig(1).Enabled();
        using var timers = new ApicTimerService(rig.Bus);
        rig[0].Timers = timers;
        Write(rig[0], TimerDivide, 0xB);
        Write(rig[0], LvtTimer, 0x34);
        Write(rig[0], TimerInitial, 5_000_000); // 5 ms
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!Bit(rig[0], Irr, 0x34) && DateTime.UtcNow < deadline) Thread.Sleep(1);
        Assert.True(Bit(rig[0], Irr, 0x34));
        Assert.Equal(1, rig.Hosts[0].Wakes);
    }

    [Fact]
    public void TheRegisterPageRoundTripsAndAHostilePageIsSanitised()
    {
        var rig = new ApicRig(1).Enabled();
        var apic = rig[0];
        Write(apic, Tpr, 0x20);
        Write(apic, Ldr, 0x0400_0000);
        Write(apic, LvtTimer, TimerPeriodic | 0x35);
        Write(apic, TimerDivide, 0xB);
        Write(apic, TimerInitial, 100_000_000);
        SendIpi(apic, 0x90 | (1u << 18));
        SendIpi(apic, 0xA0 | (1u << 18));
        Assert.Equal(0xA0, apic.AcknowledgeInterrupt());
        byte[] page = apic.Capture();

        var copy = new ApicRig(1);
        copy[0].Restore(page);
        foreach (int r in new[] { Id, VersionRegister, Tpr, Ppr, Ldr, Dfr, Svr, LvtTimer, TimerDivide, TimerInitial })
            Assert.Equal(Read(apic, r), Read(copy[0], r));
        Assert.True(Bit(copy[0], Irr, 0x90));
        Assert.True(Bit(copy[0], Isr, 0xA0));
        Assert.InRange(Read(copy[0], TimerCurrent), 1u, 100_000_000u);
        Assert.NotEqual(long.MaxValue, copy[0].TimerDeadline);
        Write(copy[0], Eoi, 0);
        Assert.Equal(0x90, copy[0].AcknowledgeInterrupt());

        var hostile = new byte[page.Length];
        Array.Fill(hostile, (byte)0xFF);
        var victim = new ApicRig(1);
        victim[0].Restore(hostile);
        Assert.Equal(0x50014u, Read(victim[0], VersionRegister));
        Assert.Equal(LvtTimerMask, Read(victim[0], LvtTimer));
        Assert.False(Bit(victim[0], Irr, 3)); // vectors below 16 cannot be pending
        Assert.Throws<ArgumentException>(() => victim[0].Restore(new byte[16]));
        victim[0].AcknowledgeInterrupt();
        Write(victim[0], Eoi, 0);
    }
}
