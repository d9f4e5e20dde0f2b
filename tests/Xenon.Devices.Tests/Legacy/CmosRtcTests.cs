using Xenon.Devices.Legacy.Rtc;
using Xenon.Devices.Tests.Fakes;

namespace Xenon.Devices.Tests.Legacy;

public sealed class CmosRtcTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2024, 3, 15, 13, 45, 27, TimeSpan.Zero); // a Friday

    private readonly FakeIrqLine _irq = new(8);
    private readonly ManualTimeProvider _clock = new(Start);
    private readonly CmosRtc _rtc;

    public CmosRtcTests() => _rtc = new CmosRtc(_irq, _clock);

    public void Dispose() => _rtc.Dispose();

    private byte Cmos(byte index)
    {
        _rtc.Write(0, [index]);
        Span<byte> b = stackalloc byte[1];
        _rtc.Read(1, b);
        return b[0];
    }

    private void SetCmos(byte index, byte value)
    {
        _rtc.Write(0, [index]);
        _rtc.Write(1, [value]);
    }

    /// <summary>Just past the next update cycle (the RTC's timer fires a little after the second boundary).</summary>
    private static readonly TimeSpan OneSecond = TimeSpan.FromSeconds(1) + TimeSpan.FromMilliseconds(1);

    private byte[] TimeRegisters() =>
        [Cmos(0x00), Cmos(0x02), Cmos(0x04), Cmos(0x06), Cmos(0x07), Cmos(0x08), Cmos(0x09), Cmos(0x32)];

    [Fact]
    public void DefaultsAreBcd24HourWithValidRam()
    {
        Assert.Equal(0x26, Cmos(0x0a));
        Assert.Equal(0x02, Cmos(0x0b));
        Assert.Equal(0x00, Cmos(0x0c));
        Assert.Equal(0x80, Cmos(0x0d));
    }

    [Fact]
    public void TimeReadsAsBcdFromTheHostClock()
    {
        Assert.Equal(new byte[] { 0x27, 0x45, 0x13, 0x06, 0x15, 0x03, 0x24, 0x20 }, TimeRegisters());
    }

    [Fact]
    public void BinaryModeReportsPlainNumbers()
    {
        SetCmos(0x0b, 0x06);
        Assert.Equal(new byte[] { 27, 45, 13, 6, 15, 3, 24, 20 }, TimeRegisters());
    }

    [Theory]
    [InlineData(13, 0x00, 0x81)] // 1 PM, BCD
    [InlineData(0, 0x00, 0x12)]  // midnight is 12 AM
    [InlineData(12, 0x00, 0x92)] // noon is 12 PM
    [InlineData(23, 0x04, 0x8b)] // 11 PM, binary
    [InlineData(9, 0x04, 0x09)]
    public void TwelveHourModeUsesBit7ForPm(int hour, byte regB, byte expected)
    {
        _clock.SetUtcNow(new DateTimeOffset(2024, 3, 15, hour, 0, 0, TimeSpan.Zero));
        SetCmos(0x0b, regB);
        Assert.Equal(expected, Cmos(0x04));
    }

    [Fact]
    public void IndexBit7IsTheNmiMaskAndIsIgnored()
    {
        Assert.Equal(0x26, Cmos(0x8a));
    }

    [Fact]
    public void TimeSetUnderSetBitSticksAndKeepsRunning()
    {
        SetCmos(0x0b, 0x82);
        foreach (var (reg, value) in new (byte, byte)[] { (0x00, 0x05), (0x02, 0x04), (0x04, 0x03), (0x07, 0x02), (0x08, 0x01), (0x09, 0x30), (0x32, 0x20) })
            SetCmos(reg, value);
        Assert.Equal(0x30, Cmos(0x09)); // held: reads what was written
        _clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(0x05, Cmos(0x00)); // still held
        SetCmos(0x0b, 0x02);

        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(new DateTime(2030, 1, 2, 3, 4, 15, DateTimeKind.Utc), _rtc.GuestTime);
        Assert.Equal(0x15, Cmos(0x00));
        Assert.Equal(0x30, Cmos(0x09));
    }

    [Fact]
    public void InvalidTimeWrittenUnderSetLeavesTheClockAlone()
    {
        SetCmos(0x0b, 0x82);
        SetCmos(0x08, 0x13); // month 13
        SetCmos(0x0b, 0x02);
        Assert.Equal(Start.UtcDateTime, _rtc.GuestTime);
    }

    [Fact]
    public void WriteWithoutSetChangesOneField()
    {
        SetCmos(0x09, 0x25);
        Assert.Equal(new DateTime(2025, 3, 15, 13, 45, 27, DateTimeKind.Utc), _rtc.GuestTime);
    }

    [Fact]
    public void UpdateInProgressIsReportedJustBeforeEachSecond()
    {
        Assert.Equal(0x00, Cmos(0x0a) & 0x80);
        _clock.Advance(TimeSpan.FromTicks(TimeSpan.TicksPerSecond - 1000)); // 100 µs before the update
        Assert.Equal(0x80, Cmos(0x0a) & 0x80);
        _clock.Advance(TimeSpan.FromTicks(2000));
        Assert.Equal(0x00, Cmos(0x0a) & 0x80);
    }

    [Fact]
    public void DividerBitsAreWritableAndUipIsNot()
    {
        SetCmos(0x0a, 0xa6);
        Assert.Equal(0x26, Cmos(0x0a));
        SetCmos(0x0a, 0x2f);
        Assert.Equal(0x2f, Cmos(0x0a));
    }

    [Fact]
    public void UpdateEndedInterruptRaisesIrq8UntilRegisterCIsRead()
    {
        SetCmos(0x0b, 0x12); // UIE
        Assert.NotNull(_clock.NextTimerDueIn);
        Assert.False(_irq.Level);

        _clock.Advance(OneSecond);
        Assert.True(_irq.Level, "the update after one second must raise IRQ 8: " + _irq);
        Assert.Null(_clock.NextTimerDueIn); // idle until the guest acknowledges

        Assert.Equal(0x90, Cmos(0x0c) & 0xb0); // PF also runs at the default rate; it is not enabled
        Assert.False(_irq.Level, "reading C must lower IRQ 8: " + _irq);
        Assert.Equal(0x00, Cmos(0x0c));
        Assert.NotNull(_clock.NextTimerDueIn);

        _clock.Advance(OneSecond);
        Assert.True(_irq.Level, _irq.ToString());
    }

    [Fact]
    public void FlagsAreSetWithoutEnablesButRaiseNothing()
    {
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(_clock.NextTimerDueIn);
        byte c = Cmos(0x0c);
        Assert.Equal(0x10, c & 0x10); // UF set by the update cycle
        Assert.Equal(0x00, c & 0x80); // IRQF only for enabled sources
        Assert.False(_irq.Level);
    }

    [Fact]
    public void PeriodicInterruptFollowsTheRateSelect()
    {
        SetCmos(0x0a, 0x26);  // 1024 Hz
        SetCmos(0x0b, 0x42);  // PIE
        Assert.Equal(TimeSpan.FromMilliseconds(1).Ticks, _clock.NextTimerDueIn);

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(_irq.Level, _irq.ToString());
        Assert.Equal(0xc0, Cmos(0x0c) & 0xc0);

        SetCmos(0x0a, 0x20); // rate 0 stops it
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0x00, Cmos(0x0c) & 0x40);
    }

    [Fact]
    public void AlarmWithDontCareFieldsFiresEverySecond()
    {
        SetCmos(0x01, 0xc0);
        SetCmos(0x03, 0xc0);
        SetCmos(0x05, 0xc0);
        SetCmos(0x0b, 0x22); // AIE
        _clock.Advance(OneSecond);
        Assert.True(_irq.Level, _irq.ToString());
        Assert.Equal(0xb0, Cmos(0x0c) & 0xb0); // IRQF | AF | UF
    }

    [Fact]
    public void AlarmMatchesOnlyItsTime()
    {
        SetCmos(0x01, 0x30); // 13:45:30
        SetCmos(0x03, 0x45);
        SetCmos(0x05, 0x13);
        SetCmos(0x0b, 0x22);
        _clock.Advance(TimeSpan.FromSeconds(1)); // :28
        Assert.Equal(0x00, Cmos(0x0c) & 0x20);
        _clock.Advance(TimeSpan.FromSeconds(2)); // :30
        Assert.Equal(0xa0, Cmos(0x0c) & 0xa0);
    }

    [Fact]
    public void SetBitClearsUpdateEndedEnable()
    {
        SetCmos(0x0b, 0x92);
        Assert.Equal(0x82, Cmos(0x0b));
    }

    [Fact]
    public void RegistersCAndDAreReadOnlyAndNvramHoldsBytes()
    {
        SetCmos(0x0c, 0xff);
        SetCmos(0x0d, 0x00);
        SetCmos(0x40, 0xab);
        SetCmos(0x7f, 0xcd);
        Assert.Equal(0x00, Cmos(0x0c));
        Assert.Equal(0x80, Cmos(0x0d));
        Assert.Equal(0xab, Cmos(0x40));
        Assert.Equal(0xcd, Cmos(0x7f));
    }

    [Fact]
    public void IndexPortReadsAsOpenBus()
    {
        Span<byte> b = stackalloc byte[1];
        _rtc.Read(0, b);
        Assert.Equal(0xff, b[0]);
    }

    [Fact]
    public void SetNvramRefusesClockRegisters()
    {
        _rtc.SetNvram(0x34, 0x12);
        Assert.Equal(0x12, Cmos(0x34));
        Assert.Throws<ArgumentOutOfRangeException>(() => _rtc.SetNvram(0x0b, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _rtc.SetNvram(0x80, 0));
    }

    [Fact]
    public void StateRoundTripKeepsGuestTimeAndNvram()
    {
        SetCmos(0x09, 0x31);
        SetCmos(0x50, 0x77);
        var state = _rtc.GetState();

        using var copy = new CmosRtc(new FakeIrqLine(8), _clock);
        copy.SetState(state);
        Assert.Equal(_rtc.GuestTime, copy.GuestTime);
        Assert.Equal(state.Nvram, copy.GetState().Nvram);
        Assert.Throws<ArgumentException>(() => copy.SetState(state with { Nvram = new byte[10] }));
    }

    [Fact]
    public void ExtremeSavedOffsetDoesNotOverflow()
    {
        _rtc.SetState(_rtc.GetState() with { GuestOffsetTicks = long.MaxValue });
        Assert.Equal(DateTime.MaxValue.Ticks, _rtc.GuestTime.Ticks);
        Assert.Equal(0x99, Cmos(0x32));
        _rtc.SetState(_rtc.GetState() with { GuestOffsetTicks = long.MinValue });
        Assert.Equal(0, _rtc.GuestTime.Ticks);
    }
}
