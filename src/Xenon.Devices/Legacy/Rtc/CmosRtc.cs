using System.Buffers;
using Xenon.Devices.State;
using Xenon.Machine.Backend;
using Xenon.Machine.Bus;

namespace Xenon.Devices.Legacy.Rtc;

/// <summary>
/// The PC's MC146818-compatible real-time clock and CMOS RAM (ports 0x70/0x71, IRQ 8).
/// The clock is host UTC plus an offset the guest sets through register B's SET bit;
/// update-ended, alarm and periodic flags are derived from the clock when read, and a timer
/// raises IRQ 8 for them only while one is enabled and not yet acknowledged.
/// </summary>
/// <remarks>vCPU threads and the timer call in concurrently; a lock serialises them and the IRQ
/// line is driven inside it so its level always equals register C's IRQF.</remarks>
public sealed class CmosRtc : IPioDevice, IDisposable, IStatefulDevice
{
    private const int IndexPort = 0;
    private const int DataPort = 1;
    private static readonly TimeSpan MinTimerPeriod = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan TimerSlack = TimeSpan.FromTicks(1000);

    private readonly object _lock = new();
    private readonly IIrqLine _irq;
    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private readonly byte[] _cmos = new byte[Cmos.Size];
    private byte _index;
    private long _offsetTicks;
    private long _lastSecond;
    private long _lastPeriod;
    private bool _irqHigh;
    private bool _disposed;

    public CmosRtc(IIrqLine irq, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(irq);
        _irq = irq;
        _time = time ?? TimeProvider.System;
        _cmos[Cmos.RegA] = Cmos.ADefault;
        _cmos[Cmos.RegB] = Cmos.BDefault;
        _cmos[Cmos.RegD] = Cmos.DValidRam;
        _lastSecond = GuestTicks() / TimeSpan.TicksPerSecond;
        _lastPeriod = CurrentPeriod();
        _timer = _time.CreateTimer(static s => ((CmosRtc)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public void Register(PioBus bus) => bus.Register(LegacyPorts.RtcIndex, LegacyPorts.RtcPortCount, this);

    /// <summary>The guest's current wall-clock time as this RTC keeps it (UTC).</summary>
    public DateTime GuestTime
    {
        get { lock (_lock) return new DateTime(GuestTicks(), DateTimeKind.Utc); }
    }

    /// <summary>Sets a CMOS byte outside the clock registers (firmware configuration such as memory size).</summary>
    public void SetNvram(byte index, byte value)
    {
        if (index >= Cmos.Size || (index <= Cmos.RegD) || index == Cmos.Century)
            throw new ArgumentOutOfRangeException(nameof(index), $"CMOS byte 0x{index:x2} is a clock register or out of range");
        lock (_lock) _cmos[index] = value;
    }

    public void Read(ushort offset, Span<byte> data)
    {
        lock (_lock)
        {
            for (int i = 0; i < data.Length; i++)
                data[i] = offset + i == DataPort ? ReadDataLocked() : (byte)0xff;
        }
    }

    public void Write(ushort offset, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            for (int i = 0; i < data.Length; i++)
            {
                switch (offset + i)
                {
                    case IndexPort: _index = (byte)(data[i] & Cmos.IndexMask); break;
                    case DataPort: WriteDataLocked(data[i]); break;
                }
            }
        }
    }

    private byte ReadDataLocked()
    {
        SyncFlagsLocked();
        int index = _index;
        switch (index)
        {
            case Cmos.RegA:
                return UpdateInProgressLocked() ? (byte)(_cmos[Cmos.RegA] | Cmos.AUpdateInProgress) : _cmos[Cmos.RegA];
            case Cmos.RegC:
                {
                    byte flags = _cmos[Cmos.RegC];
                    _cmos[Cmos.RegC] = 0;
                    UpdateIrqLocked();
                    ArmTimerLocked();
                    return flags;
                }
            case Cmos.RegD:
                return Cmos.DValidRam;
        }
        if (Cmos.IsTimeRegister(index) && !ClockHeld)
        {
            Span<byte> now = stackalloc byte[Cmos.Size];
            CmosTimeCodec.Encode(new DateTime(GuestTicks(), DateTimeKind.Utc), _cmos[Cmos.RegB], now);
            return now[index];
        }
        return _cmos[index];
    }

    private void WriteDataLocked(byte value)
    {
        SyncFlagsLocked();
        int index = _index;
        switch (index)
        {
            case Cmos.RegA:
                _cmos[Cmos.RegA] = (byte)(value & ~Cmos.AUpdateInProgress);
                _lastPeriod = CurrentPeriod();
                ArmTimerLocked();
                return;
            case Cmos.RegB:
                WriteRegBLocked(value);
                return;
            case Cmos.RegC:
            case Cmos.RegD:
                return; // read-only
        }
        if (Cmos.IsTimeRegister(index) && !ClockHeld)
        {
            // A write without SET changes one field of the running clock.
            var regB = _cmos[Cmos.RegB];
            CmosTimeCodec.Encode(new DateTime(GuestTicks(), DateTimeKind.Utc), regB, _cmos);
            _cmos[index] = value;
            SetClockFromRegistersLocked(keepSubSecond: true);
            return;
        }
        _cmos[index] = value;
    }

    private void WriteRegBLocked(byte value)
    {
        bool wasHeld = ClockHeld;
        // Setting SET also clears UIE: no update cycles happen while the clock is held.
        if ((value & Cmos.BSet) != 0) value = (byte)(value & ~Cmos.BUpdateEndedEnable);
        bool held = (value & Cmos.BSet) != 0;
        if (held && !wasHeld)
            CmosTimeCodec.Encode(new DateTime(GuestTicks(), DateTimeKind.Utc), value, _cmos);
        _cmos[Cmos.RegB] = value;
        if (wasHeld && !held) SetClockFromRegistersLocked(keepSubSecond: false);
        RecomputeIrqFlagLocked();
        ArmTimerLocked();
    }

    /// <summary>Rebases the guest clock on the time registers; ignores values that are not a valid date.</summary>
    private void SetClockFromRegistersLocked(bool keepSubSecond)
    {
        if (CmosTimeCodec.TryDecode(_cmos, _cmos[Cmos.RegB], out var set))
        {
            long hostTicks = _time.GetUtcNow().UtcTicks;
            long subSecond = keepSubSecond ? GuestTicks() % TimeSpan.TicksPerSecond : 0;
            _offsetTicks = set.Ticks + subSecond - hostTicks;
        }
        // The clock jumped: the next update cycle counts from here, not from the old time.
        _lastSecond = GuestTicks() / TimeSpan.TicksPerSecond;
    }

    private bool ClockHeld => (_cmos[Cmos.RegB] & Cmos.BSet) != 0;

    private bool DividerRunning => (_cmos[Cmos.RegA] & Cmos.ADividerReset) != Cmos.ADividerReset;

    private long GuestTicks()
    {
        long ticks = _time.GetUtcNow().UtcTicks + _offsetTicks;
        return Math.Clamp(ticks, 0, DateTime.MaxValue.Ticks);
    }

    private bool UpdateInProgressLocked() =>
        !ClockHeld && DividerRunning &&
        GuestTicks() % TimeSpan.TicksPerSecond >= TimeSpan.TicksPerSecond - Cmos.UpdateInProgressTicks;

    /// <summary>Periodic interrupt period in 1/32768 s units, 0 when the rate select is off.</summary>
    private int PeriodUnits()
    {
        int rs = _cmos[Cmos.RegA] & Cmos.ARateMask;
        if (rs == 0) return 0;
        return rs <= 2 ? 1 << (rs + 6) : 1 << (rs - 1);
    }

    private long CurrentPeriod()
    {
        int units = PeriodUnits();
        if (units == 0) return 0;
        Int128 elapsed = (Int128)_time.GetTimestamp() * 32768;
        return (long)(elapsed / ((Int128)_time.TimestampFrequency * units));
    }

    /// <summary>Brings register C up to date with the clock: an update cycle per second boundary, a periodic tick per period.</summary>
    private void SyncFlagsLocked()
    {
        if (!ClockHeld && DividerRunning)
        {
            long ticks = GuestTicks();
            long second = ticks / TimeSpan.TicksPerSecond;
            if (second > _lastSecond)
            {
                _cmos[Cmos.RegC] |= Cmos.CUpdateEnded;
                if (AlarmMatchesLocked(ticks)) _cmos[Cmos.RegC] |= Cmos.CAlarm;
            }
            _lastSecond = second;
        }
        if (DividerRunning && PeriodUnits() != 0)
        {
            long period = CurrentPeriod();
            if (period > _lastPeriod) _cmos[Cmos.RegC] |= Cmos.CPeriodic;
            _lastPeriod = period;
        }
        RecomputeIrqFlagLocked();
    }

    private bool AlarmMatchesLocked(long guestTicks)
    {
        Span<byte> now = stackalloc byte[Cmos.Size];
        CmosTimeCodec.Encode(new DateTime(guestTicks, DateTimeKind.Utc), _cmos[Cmos.RegB], now);
        return AlarmField(_cmos[Cmos.SecondsAlarm], now[Cmos.Seconds])
            && AlarmField(_cmos[Cmos.MinutesAlarm], now[Cmos.Minutes])
            && AlarmField(_cmos[Cmos.HoursAlarm], now[Cmos.Hours]);
    }

    private static bool AlarmField(byte alarm, byte current) =>
        (alarm & Cmos.AlarmDontCare) == Cmos.AlarmDontCare || alarm == current;

    private void RecomputeIrqFlagLocked()
    {
        if ((_cmos[Cmos.RegC] & _cmos[Cmos.RegB] & Cmos.CInterruptMask) != 0)
            _cmos[Cmos.RegC] |= Cmos.CIrqFlag;
        UpdateIrqLocked();
    }

    private void UpdateIrqLocked()
    {
        bool high = (_cmos[Cmos.RegC] & Cmos.CIrqFlag) != 0;
        if (high == _irqHigh) return;
        _irqHigh = high;
        _irq.SetLevel(high);
    }

    /// <summary>Schedules the next moment an enabled interrupt can become due; idle while IRQF awaits a read of C.</summary>
    private void ArmTimerLocked()
    {
        if (_disposed) return;
        byte enables = (byte)(_cmos[Cmos.RegB] & Cmos.CInterruptMask);
        if (enables == 0 || (_cmos[Cmos.RegC] & Cmos.CIrqFlag) != 0 || !DividerRunning)
        {
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }
        var due = TimeSpan.MaxValue;
        if ((enables & (Cmos.BUpdateEndedEnable | Cmos.BAlarmEnable)) != 0 && !ClockHeld)
            due = TimeSpan.FromTicks(TimeSpan.TicksPerSecond - GuestTicks() % TimeSpan.TicksPerSecond) + TimerSlack;
        int units = PeriodUnits();
        if ((enables & Cmos.BPeriodicEnable) != 0 && units != 0)
        {
            var period = TimeSpan.FromTicks(TimeSpan.TicksPerSecond * units / 32768);
            if (period < MinTimerPeriod) period = MinTimerPeriod;
            if (period < due) due = period;
        }
        _timer.Change(due == TimeSpan.MaxValue ? Timeout.InfiniteTimeSpan : due, Timeout.InfiniteTimeSpan);
    }

    private void OnTimer()
    {
        lock (_lock)
        {
            if (_disposed) return;
            SyncFlagsLocked();
            ArmTimerLocked();
        }
    }

    /// <summary>The id of the RTC's saved state.</summary>
    public string StateId { get; init; } = "rtc";

    public int SaveState(IBufferWriter<byte> output) => CmosRtcStateCodec.Write(output, GetState());

    public void RestoreState(ReadOnlySpan<byte> state) => StateApply.Apply(CmosRtcStateCodec.Kind, CmosRtcStateCodec.Read(state), SetState);

    public CmosRtcState GetState()
    {
        lock (_lock) return new CmosRtcState(_index, (byte[])_cmos.Clone(), _offsetTicks);
    }

    /// <exception cref="ArgumentException">The saved CMOS image is not 128 bytes.</exception>
    public void SetState(CmosRtcState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Nvram is null || state.Nvram.Length != Cmos.Size)
            throw new ArgumentException($"RTC state must hold {Cmos.Size} CMOS bytes, not {state.Nvram?.Length ?? 0}", nameof(state));
        lock (_lock)
        {
            _index = (byte)(state.Index & Cmos.IndexMask);
            state.Nvram.CopyTo(_cmos, 0);
            _cmos[Cmos.RegA] &= unchecked((byte)~Cmos.AUpdateInProgress);
            _cmos[Cmos.RegD] = Cmos.DValidRam;
            // Bounded so host time plus offset cannot overflow.
            _offsetTicks = Math.Clamp(state.GuestOffsetTicks, -DateTime.MaxValue.Ticks, DateTime.MaxValue.Ticks);
            _lastSecond = GuestTicks() / TimeSpan.TicksPerSecond;
            _lastPeriod = CurrentPeriod();
            RecomputeIrqFlagLocked();
            ArmTimerLocked();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
        }
        _timer.Dispose();
    }
}
