using System.Buffers;
using Xenon.Devices.Legacy.CpuHotplug;
using Xenon.Devices.State;
using Xenon.Machine.Acpi;
using Xenon.Machine.Backend;
using Xenon.Machine.Bus;

namespace Xenon.Machine.Tests.Acpi;

/// <summary>The CPU hotplug register block and the GPE0 block as the DSDT's methods drive them, and guest writes
/// that make no sense (ignored, never a crash).</summary>
public sealed class CpuHotplugControllerTests
{
    private sealed class Wire : IIrqLine
    {
        public int Gsi => AcpiPorts.SciIrq;
        public bool High { get; private set; }
        public int Changes { get; private set; }
        public void SetLevel(bool high)
        {
            High = high;
            Changes++;
        }
    }

    private readonly Wire _sci = new();
    private readonly GpeBlock _gpe;
    private readonly CpuHotplugController _cpus;
    private readonly List<int> _ejected = [];

    public CpuHotplugControllerTests()
    {
        _gpe = new GpeBlock(_sci);
        _cpus = new CpuHotplugController(4, 2, _gpe);
        _cpus.Ejected += _ejected.Add;
        // The guest's ACPI driver enables the hotplug GPE at boot.
        _gpe.Write(2, [1 << AcpiPorts.CpuHotplugGpe]);
    }

    private byte Status(uint cpu)
    {
        _cpus.Write(CpuHotplugRegisters.SelectorOffset, BitConverter.GetBytes(cpu));
        Span<byte> b = stackalloc byte[1];
        _cpus.Read(CpuHotplugRegisters.StatusOffset, b);
        return b[0];
    }

    private void Command(uint cpu, byte command)
    {
        _cpus.Write(CpuHotplugRegisters.SelectorOffset, BitConverter.GetBytes(cpu));
        _cpus.Write(CpuHotplugRegisters.StatusOffset, [command]);
    }

    /// <summary>What \_SB.CSCN does: acknowledge each pending event, returning (cpu, notify value).</summary>
    private List<(int Cpu, int Notify)> Scan()
    {
        var notes = new List<(int, int)>();
        for (uint i = 0; i < 4; i++)
        {
            byte s = Status(i);
            if ((s & CpuHotplugRegisters.InsertPending) != 0) { Command(i, CpuHotplugRegisters.InsertPending); notes.Add(((int)i, 1)); }
            else if ((s & CpuHotplugRegisters.RemovePending) != 0) { Command(i, CpuHotplugRegisters.RemovePending); notes.Add(((int)i, 3)); }
        }
        return notes;
    }

    private void AckGpe() => _gpe.Write(0, [1 << AcpiPorts.CpuHotplugGpe]);

    [Fact]
    public void BootCpusArePresentAndTheRestAbsent()
    {
        Assert.Equal([0, 1], _cpus.OnlineVcpus());
        Assert.Equal(CpuHotplugRegisters.Enabled, Status(0));
        Assert.Equal(CpuHotplugRegisters.Enabled, Status(1));
        Assert.Equal(0, Status(2));
        Assert.Equal(0, Status(3));
        Assert.False(_sci.High);
    }

    [Fact]
    public void AddingCpusRaisesTheGpeAndTheScanNotifiesEachOnce()
    {
        Assert.Null(_cpus.SetOnline(4));
        Assert.True(_sci.High);
        Assert.Equal(1 << AcpiPorts.CpuHotplugGpe, _gpe.Status);
        Assert.Equal([0, 1, 2, 3], _cpus.OnlineVcpus());
        Assert.Equal(CpuHotplugRegisters.Enabled | CpuHotplugRegisters.InsertPending, Status(2));
        AckGpe();
        Assert.False(_sci.High);
        Assert.Equal([(2, 1), (3, 1)], Scan());
        Assert.Equal(CpuHotplugRegisters.Enabled, Status(3));
        Assert.Empty(Scan());
    }

    [Fact]
    public void RemovingAsksTheGuestAndEjectTakesTheCpuAway()
    {
        _cpus.SetOnline(4);
        AckGpe();
        Scan();
        Assert.Null(_cpus.SetOnline(2));
        Assert.True(_sci.High);
        AckGpe();
        Assert.Equal([(2, 3), (3, 3)], Scan());
        // Until the guest ejects them they are still its CPUs.
        Assert.Equal([0, 1, 2, 3], _cpus.OnlineVcpus());
        Command(2, CpuHotplugRegisters.Eject);
        Command(3, CpuHotplugRegisters.Eject);
        Assert.Equal([0, 1], _cpus.OnlineVcpus());
        Assert.Equal([2, 3], _ejected);
        Assert.Equal(0, Status(2));
    }

    [Fact]
    public void AChangeTheGuestHasNotSeenIsWithdrawnQuietly()
    {
        _cpus.SetOnline(3);
        _cpus.SetOnline(2);
        Assert.Equal([0, 1], _cpus.OnlineVcpus());
        AckGpe();
        Assert.Empty(Scan());

        _cpus.SetOnline(1);
        _cpus.SetOnline(2);
        AckGpe();
        Assert.Empty(Scan());
        Assert.Equal([0, 1], _cpus.OnlineVcpus());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(-1)]
    public void CountsOutsideOneToMaxAreRefusedAndChangeNothing(int count)
    {
        Assert.Contains("between 1 and maxvcpus (4)", _cpus.SetOnline(count));
        Assert.Equal([0, 1], _cpus.OnlineVcpus());
        Assert.False(_sci.High);
        Assert.Equal(0, _gpe.Status);
    }

    [Fact]
    public void TheBootCpuCannotBeEjected()
    {
        Command(0, CpuHotplugRegisters.Eject);
        Assert.Equal([0, 1], _cpus.OnlineVcpus());
        Assert.Empty(_ejected);
    }

    [Fact]
    public void EjectingAnAbsentCpuOrPastTheLastDoesNothing()
    {
        Command(3, CpuHotplugRegisters.Eject);
        Command(4, CpuHotplugRegisters.Eject | CpuHotplugRegisters.InsertPending);
        Command(uint.MaxValue, 0xff);
        Assert.Equal(0, Status(4));
        Assert.Equal(0, Status(0xffff_ffff));
        Assert.Empty(_ejected);
        Assert.Equal([0, 1], _cpus.OnlineVcpus());
    }

    [Fact]
    public void SelectorIsWrittenAndReadBackAtAnyWidthAndUnusedBytesReadZero()
    {
        _cpus.Write(0, [3]);
        _cpus.Write(1, [0, 0, 0]);
        Span<byte> all = stackalloc byte[8];
        _cpus.Read(0, all);
        Assert.Equal([3, 0, 0, 0, 0, 0, 0, 0], all.ToArray());
        // A dword write over the status byte and the reserved ones: only the command byte counts.
        _cpus.Write(4, [CpuHotplugRegisters.Eject, 0xff, 0xff, 0xff]);
        Assert.Equal([0, 1], _cpus.OnlineVcpus());
        _cpus.Write(7, [0xff]);
        _cpus.Write(9, [0xff]);
        _cpus.Read(6, all[..4]);
    }

    [Fact]
    public void RegistersOnTheAdvertisedPorts()
    {
        var bus = new PioBus(_ => { });
        _cpus.Register(bus);
        _gpe.Register(bus, AcpiPorts.Gpe0Block);
        _cpus.SetOnline(3);
        Span<byte> b = stackalloc byte[1];
        bus.Write(AcpiPorts.CpuHotplugBlock, [2, 0, 0, 0]);
        bus.Read((ushort)(AcpiPorts.CpuHotplugBlock + CpuHotplugRegisters.StatusOffset), b);
        Assert.Equal(CpuHotplugRegisters.Enabled | CpuHotplugRegisters.InsertPending, b[0]);
        bus.Read(AcpiPorts.Gpe0Block, b);
        Assert.Equal(1 << AcpiPorts.CpuHotplugGpe, b[0]);
    }

    [Fact]
    public void GpeStatusIsWriteOneToClearAndOnlyEnabledEventsRaiseTheSci()
    {
        _gpe.Write(2, [0]);
        _gpe.Raise(AcpiPorts.CpuHotplugGpe);
        Assert.False(_sci.High);
        _gpe.Write(2, [1 << AcpiPorts.CpuHotplugGpe]);
        Assert.True(_sci.High);
        _gpe.Write(0, [0]);
        Assert.True(_sci.High);
        _gpe.Write(0, [0xff, 0xff]);
        Assert.False(_sci.High);
        Assert.Throws<ArgumentOutOfRangeException>(() => _gpe.Raise(16));
    }

    [Fact]
    public void StateRoundTripsIntoAFreshControllerWithTheGpeAndTheSci()
    {
        _cpus.SetOnline(4);
        AckGpe();
        Scan();
        _cpus.SetOnline(3);   // CPU 3's removal is pending, the GPE raised
        var saved = new ArrayBufferWriter<byte>();
        _cpus.SaveState(saved);

        var sci = new Wire();
        var gpe = new GpeBlock(sci);
        var copy = new CpuHotplugController(4, 1, gpe);
        copy.RestoreState(saved.WrittenSpan);
        Assert.Equal([0, 1, 2, 3], copy.OnlineVcpus());
        Assert.True(copy.IsPending(3));
        Assert.True(sci.High);
        Assert.Equal(_cpus.GetState().CpuStatus, copy.GetState().CpuStatus);
    }

    [Fact]
    public void StateForAnotherVcpuCountOrWithBadBitsIsRefused()
    {
        var saved = new ArrayBufferWriter<byte>();
        _cpus.SaveState(saved);
        var other = new CpuHotplugController(8, 1, new GpeBlock(new Wire()));
        Assert.Throws<DeviceStateException>(() => other.RestoreState(saved.WrittenSpan));

        foreach (var bad in new[] { new byte[] { 0x01, 0x10 }, new byte[] { 0x00, 0x01 } })
        {
            var w = new ArrayBufferWriter<byte>();
            CpuHotplugStateCodec.Write(w, new CpuHotplugState(0, 0, 0, bad));
            Assert.Throws<DeviceStateException>(() => CpuHotplugStateCodec.Read(w.WrittenSpan));
        }
        var truncated = saved.WrittenSpan[..^1].ToArray();
        Assert.Throws<DeviceStateException>(() => CpuHotplugStateCodec.Read(truncated));
    }

    [Fact]
    public void TheSharedSciIsHighWhileEitherSourceIs()
    {
        var wire = new Wire();
        var shared = new SharedIrqLine(wire);
        var pm = shared.AddSource();
        var gpe = shared.AddSource();
        pm.SetLevel(true);
        gpe.SetLevel(true);
        pm.SetLevel(false);
        Assert.True(wire.High);
        gpe.SetLevel(false);
        Assert.False(wire.High);
        Assert.Equal(2, wire.Changes);
        Assert.Equal(AcpiPorts.SciIrq, gpe.Gsi);
    }
}
