using System.Buffers;
using Xenon.Devices.State;
using Xenon.Machine;
using Xenon.Machine.Backend;
using Xenon.Machine.Bus;

namespace Xenon.Devices.Legacy.I8042;

/// <summary>
/// The PS/2 controller's command interface with no keyboard or mouse behind it: enough for
/// firmware and Linux to probe it, and for its reset line (command 0xFE, or the output port's
/// bit 0) to reboot the machine. Bytes meant for a keyboard are dropped, as with none plugged in.
/// A full output buffer raises IRQ 1 (or IRQ 12 for AUX data) when the command byte enables it:
/// Linux's AUX probe waits 250 ms for that interrupt before giving up.
/// </summary>
public sealed class I8042Controller : IStatefulDevice
{
    internal const int RamSize = 32;
    private const byte CommandByteDefault = 0x45; // keyboard interrupt, system flag, scancode translation
    private const byte OutputPortDefault = 0x03;  // reset line not asserted, A20 enabled

    // Status register
    private const byte StatusOutputFull = 0x01;
    private const byte StatusSystem = 0x04;
    private const byte StatusCommand = 0x08;
    private const byte StatusUnlocked = 0x10;
    private const byte StatusAuxData = 0x20;

    // Command byte
    private const byte CtrKbdInterrupt = 0x01;
    private const byte CtrAuxInterrupt = 0x02;
    private const byte CtrSystem = 0x04;
    private const byte CtrKbdDisabled = 0x10;
    private const byte CtrAuxDisabled = 0x20;

    private const byte OutputPortReset = 0x01;

    private readonly object _lock = new();
    private readonly IMachineControl _control;
    private readonly IIrqLine? _kbdIrq;
    private readonly IIrqLine? _auxIrq;
    private bool _kbdIrqLevel;
    private bool _auxIrqLevel;
    private readonly byte[] _ram = new byte[RamSize];
    private byte _outputPort = OutputPortDefault;
    private byte _pendingCommand;
    private byte _output;
    private bool _outputFull;
    private bool _outputFromAux;
    private bool _systemFlag;
    private bool _lastWriteWasCommand;

    public I8042Controller(IMachineControl control, IIrqLine? keyboardIrq = null, IIrqLine? auxIrq = null)
    {
        ArgumentNullException.ThrowIfNull(control);
        _control = control;
        _kbdIrq = keyboardIrq;
        _auxIrq = auxIrq;
        _ram[0] = CommandByteDefault;
        DataPort = new Port(this, isCommand: false);
        CommandPort = new Port(this, isCommand: true);
    }

    /// <summary>Port 0x60: data in both directions.</summary>
    public IPioDevice DataPort { get; }

    /// <summary>Port 0x64: status on read, controller command on write.</summary>
    public IPioDevice CommandPort { get; }

    public void Register(PioBus bus)
    {
        bus.Register(LegacyPorts.I8042Data, 1, DataPort);
        bus.Register(LegacyPorts.I8042Command, 1, CommandPort);
    }

    private sealed class Port(I8042Controller owner, bool isCommand) : IPioDevice
    {
        public void Read(ushort offset, Span<byte> data)
        {
            for (int i = 0; i < data.Length; i++)
                data[i] = offset + i == 0 ? owner.ReadPort(isCommand) : (byte)0xff;
        }

        public void Write(ushort offset, ReadOnlySpan<byte> data)
        {
            for (int i = 0; i < data.Length; i++)
                if (offset + i == 0) owner.WritePort(isCommand, data[i]);
        }
    }

    private byte ReadPort(bool status)
    {
        lock (_lock)
        {
            if (status) return StatusLocked();
            _outputFull = false;
            _outputFromAux = false;
            UpdateIrqsLocked();
            return _output;
        }
    }

    private byte StatusLocked()
    {
        byte s = StatusUnlocked;
        if (_outputFull) s |= StatusOutputFull;
        if (_outputFull && _outputFromAux) s |= StatusAuxData;
        if (_systemFlag) s |= StatusSystem;
        if (_lastWriteWasCommand) s |= StatusCommand;
        return s;
    }

    private void WritePort(bool command, byte value)
    {
        bool reset;
        lock (_lock)
        {
            _lastWriteWasCommand = command;
            reset = command ? CommandLocked(value) : DataLocked(value);
            UpdateIrqsLocked();
        }
        if (reset) _control.RequestShutdown(ShutdownReason.Reboot, "i8042 reset");
    }

    /// <summary>Returns true when the command pulses the CPU reset line.</summary>
    private bool CommandLocked(byte command)
    {
        _pendingCommand = 0;
        switch (command)
        {
            case >= 0x20 and <= 0x3f:
                Respond(_ram[command & 0x1f]);
                return false;
            case >= 0x60 and <= 0x7f:
            case 0xd1: // write output port
            case 0xd2: // write keyboard output buffer
            case 0xd3: // write aux output buffer
            case 0xd4: // write to aux device
                _pendingCommand = command;
                return false;
            case 0xa7: _ram[0] |= CtrAuxDisabled; return false;
            case 0xa8: _ram[0] &= unchecked((byte)~CtrAuxDisabled); return false;
            case 0xa9: Respond(0x00); return false; // aux interface test: passed
            case 0xaa:
                _systemFlag = true;
                Respond(0x55);
                return false;
            case 0xab: Respond(0x00); return false; // keyboard interface test: passed
            case 0xad: _ram[0] |= CtrKbdDisabled; return false;
            case 0xae: _ram[0] &= unchecked((byte)~CtrKbdDisabled); return false;
            case 0xc0: Respond(0x00); return false; // input port
            case 0xd0: Respond(_outputPort); return false;
            case >= 0xf0:
                // Pulse the output lines whose bits are clear; line 0 is the CPU reset.
                return (command & OutputPortReset) == 0;
            default:
                return false;
        }
    }

    private bool DataLocked(byte value)
    {
        byte pending = _pendingCommand;
        _pendingCommand = 0;
        switch (pending)
        {
            case >= 0x60 and <= 0x7f:
                _ram[pending & 0x1f] = value;
                if (pending == 0x60) _systemFlag = (value & CtrSystem) != 0;
                return false;
            case 0xd1:
                _outputPort = value;
                return (value & OutputPortReset) == 0;
            case 0xd2:
                Respond(value);
                return false;
            case 0xd3:
                Respond(value);
                _outputFromAux = true;
                return false;
            default:
                return false; // keyboard or mouse byte: no device attached
        }
    }

    // Levels change only here, under the lock, and only when they differ, so the edge-triggered
    // ISA lines see one rising edge per byte placed in the output buffer.
    private void UpdateIrqsLocked()
    {
        bool kbd = _outputFull && !_outputFromAux && (_ram[0] & CtrKbdInterrupt) != 0;
        bool aux = _outputFull && _outputFromAux && (_ram[0] & CtrAuxInterrupt) != 0;
        if (kbd != _kbdIrqLevel) { _kbdIrqLevel = kbd; _kbdIrq?.SetLevel(kbd); }
        if (aux != _auxIrqLevel) { _auxIrqLevel = aux; _auxIrq?.SetLevel(aux); }
    }

    private void Respond(byte value)
    {
        _output = value;
        _outputFull = true;
        _outputFromAux = false;
    }

    /// <summary>The id of the keyboard controller's saved state.</summary>
    public string StateId { get; init; } = "i8042";

    public int SaveState(IBufferWriter<byte> output) => I8042StateCodec.Write(output, GetState());

    public void RestoreState(ReadOnlySpan<byte> state) => StateApply.Apply(I8042StateCodec.Kind, I8042StateCodec.Read(state), SetState);

    public I8042State GetState()
    {
        lock (_lock)
            return new I8042State((byte[])_ram.Clone(), _outputPort, _pendingCommand, _output, _outputFull,
                _outputFromAux, _systemFlag, _lastWriteWasCommand);
    }

    /// <exception cref="ArgumentException">The saved RAM is not 32 bytes.</exception>
    public void SetState(I8042State state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Ram is null || state.Ram.Length != RamSize)
            throw new ArgumentException($"i8042 state must hold {RamSize} RAM bytes, not {state.Ram?.Length ?? 0}", nameof(state));
        lock (_lock)
        {
            state.Ram.CopyTo(_ram, 0);
            _outputPort = state.OutputPort;
            _pendingCommand = state.PendingCommand;
            _output = state.OutputBuffer;
            _outputFull = state.OutputBufferFull;
            _outputFromAux = state.OutputFromAux;
            _systemFlag = state.SystemFlag;
            _lastWriteWasCommand = state.LastWriteWasCommand;
        }
    }
}
