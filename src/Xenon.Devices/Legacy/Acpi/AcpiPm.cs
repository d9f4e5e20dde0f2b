using System.Buffers;
using Xenon.Devices.State;
using Xenon.Machine;
using Xenon.Machine.Backend;
using Xenon.Machine.Bus;

namespace Xenon.Devices.Legacy.Acpi;

/// <summary>
/// ACPI fixed hardware for a machine that is always in ACPI mode: the PM1a event block
/// (status, enable), the PM1a control block (sleep to S5 powers off) and the 24-bit PM timer.
/// The SCI is level-triggered and high while any enabled status bit is set.
/// </summary>
/// <remarks>TMR_STS is derived from the timer when status is read: an enabled timer-carry SCI is
/// therefore only noticed on the guest's next access, not raised on its own (no guest we boot enables it).</remarks>
public sealed class AcpiPm : IStatefulDevice
{
    private readonly object _lock = new();
    private readonly IIrqLine _sci;
    private readonly IMachineControl _control;
    private readonly TimeProvider _time;
    private readonly Action<string>? _log;
    private ushort _status;
    private ushort _enable;
    private ushort _controlReg = Pm1.SciEn;
    private long _timerBase;          // host timestamp at which the PM timer read zero
    private long _lastTimerCarries;   // number of bit-23 toggles already reflected in TMR_STS
    private bool _sciHigh;

    public AcpiPm(IIrqLine sci, IMachineControl control, TimeProvider? time = null, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(sci);
        ArgumentNullException.ThrowIfNull(control);
        _sci = sci;
        _control = control;
        _time = time ?? TimeProvider.System;
        _log = log;
        _timerBase = _time.GetTimestamp();
        EventBlock = new EventPort(this);
        ControlBlock = new ControlPort(this);
        Timer = new TimerPort(this);
    }

    /// <summary>PM1a_EVT_BLK: PM1_STS at offset 0, PM1_EN at offset 2.</summary>
    public IPioDevice EventBlock { get; }

    /// <summary>PM1a_CNT_BLK (2 bytes).</summary>
    public IPioDevice ControlBlock { get; }

    /// <summary>PM_TMR_BLK (4 bytes, read-only).</summary>
    public IPioDevice Timer { get; }

    public void Register(PioBus bus)
    {
        bus.Register(LegacyPorts.Pm1aEvent, LegacyPorts.Pm1aEventLength, EventBlock);
        bus.Register(LegacyPorts.Pm1aControl, LegacyPorts.Pm1aControlLength, ControlBlock);
        bus.Register(LegacyPorts.PmTimer, LegacyPorts.PmTimerLength, Timer);
    }

    /// <summary>Presses the power button: the guest's ACPI driver sees PWRBTN_STS and shuts down in order.</summary>
    public void PressPowerButton()
    {
        lock (_lock)
        {
            _status |= Pm1.PwrBtnSts;
            UpdateSciLocked();
        }
    }

    /// <summary>The current 24-bit PM timer value.</summary>
    public uint TimerValue => (uint)(TimerCounts() & Pm1.TimerMask);

    private long TimerCounts()
    {
        // TimeScale, not Int128: see there (this ran, compiled on first use, inside a restore).
        return TimeScale.MulDiv(_time.GetTimestamp() - _timerBase, Pm1.TimerHz, _time.TimestampFrequency);
    }

    private void SyncTimerStatusLocked()
    {
        long carries = TimerCounts() >> Pm1.TimerMsbShift;
        if (carries != _lastTimerCarries)
        {
            _status |= Pm1.TmrSts;
            _lastTimerCarries = carries;
        }
    }

    private void UpdateSciLocked()
    {
        bool high = (_status & _enable) != 0;
        if (high == _sciHigh) return;
        _sciHigh = high;
        _sci.SetLevel(high);
    }

    private void ReadEvent(int offset, Span<byte> data)
    {
        lock (_lock)
        {
            SyncTimerStatusLocked();
            UpdateSciLocked();
            EventRegisterPair.Read(_status, _enable, offset, data);
        }
    }

    private void WriteEvent(int offset, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            SyncTimerStatusLocked();
            EventRegisterPair.Write(ref _status, ref _enable, Pm1.EnableMask, offset, data);
            // Once per access, so a 16-bit write cannot glitch the level-triggered SCI between its bytes.
            UpdateSciLocked();
        }
    }

    private void ReadControl(int offset, Span<byte> data)
    {
        ushort value;
        lock (_lock) value = (ushort)(_controlReg | Pm1.SciEn);
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (offset + i) switch
            {
                0 => (byte)value,
                1 => (byte)(value >> 8),
                _ => 0xff,
            };
        }
    }

    private void WriteControl(int offset, ReadOnlySpan<byte> data)
    {
        int sleepType = -1;
        lock (_lock)
        {
            ushort written = _controlReg;
            for (int i = 0; i < data.Length; i++)
            {
                switch (offset + i)
                {
                    case 0: written = (ushort)((written & 0xff00) | data[i]); break;
                    case 1: written = (ushort)((written & 0x00ff) | (data[i] << 8)); break;
                }
            }
            _controlReg = (ushort)((written & Pm1.ControlStoredMask) | Pm1.SciEn);
            if ((written & Pm1.SlpEn) != 0) sleepType = (written & Pm1.SlpTypMask) >> Pm1.SlpTypShift;
        }
        if (sleepType == LegacyPorts.S5SleepType)
            _control.RequestShutdown(ShutdownReason.PowerOff, "ACPI S5");
        else if (sleepType >= 0)
            _log?.Invoke($"acpi: guest requested sleep type {sleepType}; only S5 (type {LegacyPorts.S5SleepType}) is supported, ignored");
    }

    private sealed class EventPort(AcpiPm owner) : IPioDevice
    {
        public void Read(ushort offset, Span<byte> data) => owner.ReadEvent(offset, data);
        public void Write(ushort offset, ReadOnlySpan<byte> data) => owner.WriteEvent(offset, data);
    }

    private sealed class ControlPort(AcpiPm owner) : IPioDevice
    {
        public void Read(ushort offset, Span<byte> data) => owner.ReadControl(offset, data);
        public void Write(ushort offset, ReadOnlySpan<byte> data) => owner.WriteControl(offset, data);
    }

    private sealed class TimerPort(AcpiPm owner) : IPioDevice
    {
        public void Read(ushort offset, Span<byte> data)
        {
            // One sample for the whole access, so a 32-bit read is coherent.
            uint value = owner.TimerValue;
            for (int i = 0; i < data.Length; i++)
            {
                int byteIndex = offset + i;
                data[i] = byteIndex < 4 ? (byte)(value >> (8 * byteIndex)) : (byte)0xff;
            }
        }

        public void Write(ushort offset, ReadOnlySpan<byte> data)
        {
            // The PM timer is read-only.
        }
    }

    /// <summary>The id of the ACPI PM block's saved state.</summary>
    public string StateId { get; init; } = "acpi-pm";

    public int SaveState(IBufferWriter<byte> output) => AcpiPmStateCodec.Write(output, GetState());

    public void RestoreState(ReadOnlySpan<byte> state) => StateApply.Apply(AcpiPmStateCodec.Kind, AcpiPmStateCodec.Read(state), SetState);

    public AcpiPmState GetState()
    {
        lock (_lock)
        {
            SyncTimerStatusLocked();
            return new AcpiPmState(_status, _enable, _controlReg, TimerValue);
        }
    }

    public void SetState(AcpiPmState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        lock (_lock)
        {
            _status = (ushort)(state.Status & Pm1.StatusMask);
            _enable = (ushort)(state.Enable & Pm1.EnableMask);
            _controlReg = (ushort)((state.Control & Pm1.ControlStoredMask) | Pm1.SciEn);
            // Rebase so the timer continues from the saved value (rounded up, so it reads back exactly).
            long counts = state.TimerValue & Pm1.TimerMask;
            _timerBase = _time.GetTimestamp() - TimeScale.MulDivCeiling(counts, _time.TimestampFrequency, Pm1.TimerHz);
            _lastTimerCarries = TimerCounts() >> Pm1.TimerMsbShift;
            UpdateSciLocked();
        }
    }
}
