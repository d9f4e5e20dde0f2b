using Xenon.Machine.Soft.Apic;
using Xenon.Machine.State;
using static Xenon.Machine.Soft.Apic.ApicRegisters;
using static Xenon.Machine.Tests.Soft.Apic.ApicRig;

namespace Xenon.Machine.Tests.Soft.Apic;

/// <summary>The soft IOAPIC's registers and pin semantics, and MSI delivery.</summary>
public sealed class IoApicAndMsiTests
{
    private static uint Indirect(IoApic io, uint index)
    {
        io.Write(0x00, index);
        return io.Read(0x10);
    }

    private static void Route(IoApic io, int pin, uint low, uint high = 0)
    {
        io.Write(0x00, (uint)(0x10 + 2 * pin));
        io.Write(0x10, low);
        io.Write(0x00, (uint)(0x11 + 2 * pin));
        io.Write(0x10, high);
    }

    [Fact]
    public void IdVersionAndAMaskedTableAtReset()
    {
        var io = new ApicRig().IoApic;
        Assert.Equal(0x0017_0011u, Indirect(io, 1));
        Assert.Equal(0u, Indirect(io, 0));
        io.Write(0x10, 0x0F00_0000 | 0xFF); // ID: four bits
        Assert.Equal(0x0F00_0000u, Indirect(io, 0));
        Assert.Equal(0x0F00_0000u, Indirect(io, 2)); // arbitration ID follows
        for (int pin = 0; pin < IoApic.Pins; pin++) Assert.Equal(1u << 16, Indirect(io, (uint)(0x10 + 2 * pin)));
        Assert.Equal(0x3Eu, io.Read(0x00)); // IOREGSEL keeps the last index
        Assert.Equal(0u, io.Read(0x20)); // nothing else in the window
    }

    [Fact]
    public void AnEdgePinDeliversOnTheRisingEdgeOnlyAndLosesEdgesWhileMasked()
    {
        var rig = new ApicRig().Enabled();
        Route(rig.IoApic, 4, 0x41, 1u << 24); // vector 0x41 to APIC 1
        rig.IoApic.SetLevel(4, true);
        Assert.True(Bit(rig[1], Irr, 0x41));
        Assert.Equal(0x41, rig[1].AcknowledgeInterrupt());
        rig.IoApic.SetLevel(4, true); // no new edge
        Assert.False(Bit(rig[1], Irr, 0x41));
        rig.IoApic.SetLevel(4, false);
        Route(rig.IoApic, 4, (1u << 16) | 0x41, 1u << 24);
        rig.IoApic.SetLevel(4, true);
        rig.IoApic.SetLevel(4, false);
        Route(rig.IoApic, 4, 0x41, 1u << 24); // unmasking an edge pin replays nothing
        Assert.False(Bit(rig[1], Irr, 0x41));
        Assert.Equal(0u, Indirect(rig.IoApic, 0x18) & (1u << 14)); // an edge pin never shows remote IRR
    }

    [Fact]
    public void ALevelPinWaitsForTheEoiAndRedeliversWhileStillAsserted()
    {
        var rig = new ApicRig().Enabled();
        Route(rig.IoApic, 10, 0x8000 | 0x4A); // level, vector 0x4A, APIC 0
        rig.IoApic.SetLevel(10, true);
        Assert.True(Bit(rig[0], Tmr, 0x4A)); // the APIC knows it is level-triggered
        Assert.NotEqual(0u, Indirect(rig.IoApic, 0x24) & (1u << 14)); // remote IRR
        Assert.Equal(0x4A, rig[0].AcknowledgeInterrupt());
        rig.IoApic.SetLevel(10, true); // still asserted, remote IRR set: nothing new
        Assert.False(Bit(rig[0], Irr, 0x4A));
        Write(rig[0], Eoi, 0); // broadcast EOI: remote IRR cleared, the line still high → again
        Assert.True(Bit(rig[0], Irr, 0x4A));
        Assert.Equal(0x4A, rig[0].AcknowledgeInterrupt());
        rig.IoApic.SetLevel(10, false);
        Write(rig[0], Eoi, 0);
        Assert.False(Bit(rig[0], Irr, 0x4A));
        Assert.Equal(0u, Indirect(rig.IoApic, 0x24) & (1u << 14));
        // unmasking a level pin whose line is asserted delivers at once; polarity does not invert "asserted"
        Route(rig.IoApic, 11, (1u << 16) | (1u << 13) | 0x8000 | 0x4B);
        rig.IoApic.SetLevel(11, true);
        Assert.False(Bit(rig[0], Irr, 0x4B));
        Route(rig.IoApic, 11, (1u << 13) | 0x8000 | 0x4B);
        Assert.True(Bit(rig[0], Irr, 0x4B));
    }

    [Fact]
    public void MalformedIndexesVectorsAndPinsDoNothing()
    {
        var rig = new ApicRig().Enabled();
        var io = rig.IoApic;
        Assert.Equal(0xFFFF_FFFFu, Indirect(io, 0x40)); // beyond the table
        io.Write(0x10, 0x1234);
        Assert.Equal(0x0017_0011u, Indirect(io, 1)); // version is read-only
        io.Write(0x10, 0);
        Route(io, 3, 0x05); // vector < 16
        io.SetLevel(3, true);
        Assert.Equal(0u, Read(rig[0], Irr));
        io.SetLevel(-1, true);
        io.SetLevel(24, true);
        io.EndOfInterrupt(0x99);
        Route(io, 5, 0xFFFF_FFFF, 0xFFFF_FFFF); // read-only and reserved bits stay clear
        Assert.Equal(0x1AFFFu, Indirect(io, 0x1A));
        Assert.Equal(0xFF00_0000u, Indirect(io, 0x1B));
        var random = new Random(7);
        for (int i = 0; i < 100_000; i++)
        {
            switch (random.Next(4))
            {
                case 0: io.Write((uint)random.Next(0x100) & 0xF0, (uint)random.NextInt64()); break;
                case 1: io.Read((uint)random.Next(0x100) & 0xF0); break;
                case 2: io.SetLevel(random.Next(-2, 26), random.Next(2) == 0); break;
                default: io.EndOfInterrupt(random.Next(256)); break;
            }
            foreach (var apic in rig.Apics)
                if (apic.AcknowledgeInterrupt() >= 0) Write(apic, Eoi, 0);
        }
    }

    [Fact]
    public void TheIoApicStateRoundTripsAndIsSanitised()
    {
        var rig = new ApicRig().Enabled();
        Route(rig.IoApic, 10, 0x8000 | 0x4A, 1u << 24);
        rig.IoApic.SetLevel(10, true);
        rig.IoApic.Write(0x00, 0x12);
        IoapicState s = rig.IoApic.Capture();
        Assert.Equal(0xFEC0_0000UL, s.BaseAddress);
        Assert.Equal(1u << 10, s.Irr);
        var copy = new ApicRig().IoApic;
        copy.Restore(s);
        Assert.Equal(s.Redirection, copy.Capture().Redirection);
        Assert.Equal(0x12u, copy.Read(0x00));
        var hostile = new IoapicState { IoRegSel = 0xFFFF_FFFF, Id = 0xFFFF_FFFF, Irr = 0xFFFF_FFFF };
        Array.Fill(hostile.Redirection, ulong.MaxValue);
        copy.Restore(hostile);
        Assert.Equal(0x1AFFFu | (1u << 14), (uint)copy.Capture().Redirection[0]);
        Assert.Throws<ArgumentException>(() => copy.Restore(new IoapicState { Redirection = new ulong[3] }));
    }

    [Fact]
    public void MsiMessagesAreDecodedAndDeliveredOrDropped()
    {
        var rig = new ApicRig(3).Enabled();
        var msi = new SoftMsiController(rig.Bus);
        msi.SignalMsi(0xFEE0_1000, 0x41); // physical APIC 1, fixed, edge
        Assert.True(Bit(rig[1], Irr, 0x41));
        Assert.False(Bit(rig[1], Tmr, 0x41));
        Write(rig[2], Ldr, 0x04u << 24);
        msi.SignalMsi(0xFEE0_4004, 0x42); // logical (DM bit 2), flat mask 0x04 → APIC 2
        Assert.True(Bit(rig[2], Irr, 0x42));
        msi.SignalMsi(0xFEE0_1000, 0xC043); // level-triggered, asserted
        Assert.True(Bit(rig[1], Tmr, 0x43));
        msi.SignalMsi(0xFEE0_2000, 0x400); // NMI
        Assert.Equal(1, rig.Hosts[2].Nmis);
        Assert.Equal(4, msi.DeliveredCount);

        msi.SignalMsi(0xFED0_0000, 0x41);  // not 0xFEExxxxx
        msi.SignalMsi(0xFEE0_0000, 0x0F);  // illegal vector
        msi.SignalMsi(0xFEE0_0000, 0x641); // start-up: not for MSI
        msi.SignalMsi(0xFEE0_0000, 0x341); // reserved delivery mode
        msi.SignalMsi(0xFEE0_9000, 0x41);  // no APIC 9
        Assert.Equal(5, msi.DroppedCount);
        Assert.Equal(4, msi.DeliveredCount);
    }

    [Fact]
    public void MsisFromManyThreadsAreNotLost()
    {
        var rig = new ApicRig(2).Enabled();
        var msi = new SoftMsiController(rig.Bus);
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            for (int v = 32 + t * 28; v < 32 + (t + 1) * 28; v++) msi.SignalMsi(0xFEE0_0000 | ((ulong)(v & 1) << 12), (uint)v);
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        for (int v = 32; v < 32 + 8 * 28; v++) Assert.True(Bit(rig[v & 1], Irr, v), $"vector {v}");
        Assert.Equal(8 * 28, msi.DeliveredCount);
    }
}
