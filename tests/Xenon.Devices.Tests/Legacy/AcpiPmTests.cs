using Xenon.Devices.Legacy.Acpi;
using Xenon.Devices.Tests.Fakes;
using Xenon.Machine;

namespace Xenon.Devices.Tests.Legacy;

public sealed class AcpiPmTests
{
    private readonly FakeIrqLine _sci = new(9);
    private readonly FakeMachineControl _control = new();
    private readonly ManualTimeProvider _clock = new(DateTimeOffset.UnixEpoch);
    private readonly List<string> _log = [];
    private readonly AcpiPm _pm;

    public AcpiPmTests() => _pm = new AcpiPm(_sci, _control, _clock, _log.Add);

    private static ushort Read16(Xenon.Machine.Bus.IPioDevice dev, ushort offset)
    {
        Span<byte> b = stackalloc byte[2];
        dev.Read(offset, b);
        return (ushort)(b[0] | (b[1] << 8));
    }

    private static void Write16(Xenon.Machine.Bus.IPioDevice dev, ushort offset, ushort value) =>
        dev.Write(offset, [(byte)value, (byte)(value >> 8)]);

    private static uint Read32(Xenon.Machine.Bus.IPioDevice dev)
    {
        Span<byte> b = stackalloc byte[4];
        dev.Read(0, b);
        return BitConverter.ToUInt32(b);
    }

    [Fact]
    public void SleepToS5PowersOff()
    {
        Write16(_pm.ControlBlock, 0, (5 << 10) | 0x2000);
        Assert.Equal([(ShutdownReason.PowerOff, "ACPI S5")], _control.Requests);
    }

    [Fact]
    public void SleepToS5WithAByteWriteToTheHighHalfPowersOff()
    {
        _pm.ControlBlock.Write(1, [(5 << 2) | 0x20]);
        Assert.Equal([(ShutdownReason.PowerOff, "ACPI S5")], _control.Requests);
    }

    [Fact]
    public void SettingSleepTypeWithoutSleepEnableDoesNothing()
    {
        Write16(_pm.ControlBlock, 0, 5 << 10);
        Assert.Empty(_control.Requests);
        Assert.Equal((5 << 10) | 1, Read16(_pm.ControlBlock, 0)); // SLP_TYP reads back, SCI_EN always set
    }

    [Fact]
    public void OtherSleepStatesAreLoggedAndIgnored()
    {
        Write16(_pm.ControlBlock, 0, (3 << 10) | 0x2000);
        Assert.Empty(_control.Requests);
        Assert.Contains(_log, l => l.Contains("sleep type 3", StringComparison.Ordinal));
        Assert.Equal(0, Read16(_pm.ControlBlock, 0) & 0x2000); // SLP_EN is write-only
    }

    [Fact]
    public void SciEnableAlwaysReadsOne()
    {
        Write16(_pm.ControlBlock, 0, 0);
        Assert.Equal(1, Read16(_pm.ControlBlock, 0) & 1);
    }

    [Fact]
    public void PowerButtonRaisesSciWhenEnabledAndWriteOneClears()
    {
        Write16(_pm.EventBlock, 2, 0x0100); // PWRBTN_EN
        Assert.False(_sci.Level);

        _pm.PressPowerButton();
        Assert.True(_sci.Level, _sci.ToString());
        Assert.Equal(0x0100, Read16(_pm.EventBlock, 0) & 0x0100);

        Write16(_pm.EventBlock, 0, 0x0001); // clearing another bit leaves it
        Assert.True(_sci.Level);
        Write16(_pm.EventBlock, 0, 0x0100);
        Assert.False(_sci.Level, _sci.ToString());
        Assert.Equal(0, Read16(_pm.EventBlock, 0) & 0x0100);
    }

    [Fact]
    public void PowerButtonWithoutEnableSetsStatusOnly()
    {
        _pm.PressPowerButton();
        Assert.False(_sci.Level);
        Assert.Equal(0x0100, Read16(_pm.EventBlock, 0) & 0x0100);
        Write16(_pm.EventBlock, 2, 0x0100);
        Assert.True(_sci.Level, "enabling an already-set status must raise SCI: " + _sci);
        Write16(_pm.EventBlock, 2, 0);
        Assert.False(_sci.Level);
    }

    [Fact]
    public void EnableRegisterKeepsOnlyDefinedBits()
    {
        Write16(_pm.EventBlock, 2, 0xffff);
        Assert.Equal(0x0721, Read16(_pm.EventBlock, 2));
    }

    [Fact]
    public void PmTimerCountsAt3579545Hz()
    {
        uint t0 = Read32(_pm.Timer);
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        uint t1 = Read32(_pm.Timer);
        Assert.InRange((t1 - t0) & 0xffffff, 357_954u / 2, 357_954u * 3 / 2);
        Assert.Equal(0u, t1 & 0xff000000); // 24-bit timer
    }

    [Fact]
    public void PmTimerWrapsAt24BitsAndFlagsTheCarry()
    {
        Assert.Equal(0, Read16(_pm.EventBlock, 0) & 1);
        _clock.Advance(TimeSpan.FromSeconds(2.5)); // past 2^23 counts
        Assert.Equal(1, Read16(_pm.EventBlock, 0) & 1);
        Write16(_pm.EventBlock, 0, 1);
        Assert.Equal(0, Read16(_pm.EventBlock, 0) & 1);
        _clock.Advance(TimeSpan.FromSeconds(2.5)); // past 2^24: wraps
        Assert.True(Read32(_pm.Timer) < 0x0100_0000);
    }

    [Fact]
    public void PmTimerOnTheSystemClockAdvancesAtRoughlyTheRightRate()
    {
        var pm = new AcpiPm(new FakeIrqLine(9), new FakeMachineControl());
        var sw = System.Diagnostics.Stopwatch.StartNew();
        uint t0 = pm.TimerValue;
        Thread.Sleep(50);
        uint t1 = pm.TimerValue;
        double seconds = sw.Elapsed.TotalSeconds;
        double rate = ((t1 - t0) & 0xffffff) / seconds;
        Assert.True(rate > 3_579_545 * 0.5 && rate < 3_579_545 * 1.5, $"PM timer ran at {rate:F0} Hz over {seconds * 1000:F1} ms");
    }

    [Fact]
    public void TimerIsReadOnly()
    {
        uint before = Read32(_pm.Timer);
        _pm.Timer.Write(0, [0xff, 0xff, 0xff, 0xff]);
        Assert.Equal(before, Read32(_pm.Timer));
    }

    [Fact]
    public void StateRoundTripContinuesTheTimer()
    {
        _clock.Advance(TimeSpan.FromMilliseconds(700));
        Write16(_pm.EventBlock, 2, 0x0100);
        _pm.PressPowerButton();
        var state = _pm.GetState();

        var otherClock = new ManualTimeProvider(DateTimeOffset.UnixEpoch);
        otherClock.Advance(TimeSpan.FromDays(3));
        var sci = new FakeIrqLine(9);
        var copy = new AcpiPm(sci, new FakeMachineControl(), otherClock);
        copy.SetState(state);

        Assert.Equal(state.TimerValue, copy.TimerValue);
        Assert.True(sci.Level, sci.ToString());
        Assert.Equal(state, copy.GetState());
    }
}
