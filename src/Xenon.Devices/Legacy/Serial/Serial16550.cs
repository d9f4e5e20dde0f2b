using System.Buffers;
using Xenon.Devices.State;
using Xenon.Machine.Backend;
using Xenon.Machine.Bus;

namespace Xenon.Devices.Legacy.Serial;

/// <summary>
/// A 16550A UART (COM port): the register file, interrupt identification and a receive FIFO
/// fed by the host console. Transmission is instantaneous, so THR and the shift register are
/// always empty from the guest's point of view.
/// </summary>
/// <remarks>
/// vCPU threads (register access) and the console thread (<see cref="Enqueue"/>) call in
/// concurrently; one lock serialises them. The IRQ line is driven inside that lock so its level
/// always matches the register state; the output sink and <see cref="ReceiveSpaceAvailable"/>
/// run outside it, so they may block or call back into the UART.
/// </remarks>
public sealed class Serial16550 : IPioDevice, IStatefulDevice
{
    private readonly object _lock = new();
    private readonly IIrqLine _irq;
    private readonly ISerialOutput _output;
    private readonly ReceiveQueue _rx = new(Uart.ReceiveBufferSize);

    private byte _ier;
    private byte _lcr;
    private byte _mcr;
    private byte _fcr;
    private byte _scr;
    private byte _dll = 0x0c; // 9600 baud, as a BIOS leaves it
    private byte _dlm;
    private byte _lsrErrors;
    private byte _msrDeltas;
    private bool _thrPending;
    private byte _lastReceived;
    private bool _irqHigh;
    private bool _producerWaiting;
    private long _droppedBytes;

    public Serial16550(IIrqLine irq, ISerialOutput output)
    {
        ArgumentNullException.ThrowIfNull(irq);
        ArgumentNullException.ThrowIfNull(output);
        _irq = irq;
        _output = output;
    }

    /// <summary>Raised on a vCPU thread when the guest has drained the receive buffer enough
    /// for an input thread that found it full to continue.</summary>
    public event Action? ReceiveSpaceAvailable;

    /// <summary>Bytes <see cref="Enqueue"/> would accept right now.</summary>
    public int ReceiveSpace
    {
        get { lock (_lock) return _rx.Free; }
    }

    public bool CanAccept => ReceiveSpace > 0;

    /// <summary>Input bytes thrown away because the receive buffer was full (each one also sets LSR.OE).</summary>
    public long DroppedBytes => Interlocked.Read(ref _droppedBytes);

    /// <summary>Registers this UART at <paramref name="basePort"/> (COM1 by default).</summary>
    public void Register(PioBus bus, ushort basePort = LegacyPorts.Com1) =>
        bus.Register(basePort, LegacyPorts.SerialPortCount, this);

    /// <summary>
    /// Delivers console input to the guest. Returns how many bytes were taken; bytes that do not
    /// fit are dropped and reported to the guest as an overrun, so callers should respect
    /// <see cref="ReceiveSpace"/> and wait for <see cref="ReceiveSpaceAvailable"/>.
    /// </summary>
    public int Enqueue(ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            int taken = _rx.Enqueue(data);
            if (taken < data.Length)
            {
                _lsrErrors |= Uart.LsrOverrun;
                Interlocked.Add(ref _droppedBytes, data.Length - taken);
            }
            if (_rx.Free == 0) _producerWaiting = true;
            UpdateIrqLocked();
            return taken;
        }
    }

    public void Read(ushort offset, Span<byte> data)
    {
        bool signalSpace = false;
        lock (_lock)
        {
            for (int i = 0; i < data.Length; i++)
                data[i] = ReadLocked(offset + i, ref signalSpace);
            UpdateIrqLocked();
        }
        if (signalSpace) ReceiveSpaceAvailable?.Invoke();
    }

    public void Write(ushort offset, ReadOnlySpan<byte> data)
    {
        Span<byte> tx = stackalloc byte[1];
        for (int i = 0; i < data.Length; i++)
        {
            bool transmit;
            lock (_lock)
            {
                transmit = WriteLocked(offset + i, data[i]);
                UpdateIrqLocked();
            }
            if (transmit)
            {
                tx[0] = data[i];
                _output.Write(tx);
            }
        }
    }

    private byte ReadLocked(int offset, ref bool signalSpace)
    {
        bool dlab = (_lcr & Uart.LcrDlab) != 0;
        switch (offset)
        {
            case Uart.RbrThrDll:
                if (dlab) return _dll;
                if (_rx.TryDequeue(out var b))
                {
                    _lastReceived = b;
                    if (_producerWaiting && _rx.Free >= _rx.Capacity / 2)
                    {
                        _producerWaiting = false;
                        signalSpace = true;
                    }
                }
                return _lastReceived;
            case Uart.IerDlm:
                return dlab ? _dlm : _ier;
            case Uart.IirFcr:
                {
                    byte id = PendingInterruptLocked();
                    // Reading IIR while it reports THR empty acknowledges that interrupt.
                    if (id == Uart.IirThrEmpty) _thrPending = false;
                    return (byte)(id | (FifoEnabled ? Uart.IirFifoEnabled : 0));
                }
            case Uart.Lcr:
                return _lcr;
            case Uart.Mcr:
                return _mcr;
            case Uart.Lsr:
                {
                    byte lsr = LineStatusLocked();
                    _lsrErrors = 0;
                    return lsr;
                }
            case Uart.Msr:
                {
                    byte msr = (byte)(ModemLines() | _msrDeltas);
                    _msrDeltas = 0;
                    return msr;
                }
            case Uart.Scr:
                return _scr;
            default:
                return 0xff;
        }
    }

    /// <summary>Returns true when <paramref name="value"/> was transmitted to the output sink.</summary>
    private bool WriteLocked(int offset, byte value)
    {
        bool dlab = (_lcr & Uart.LcrDlab) != 0;
        switch (offset)
        {
            case Uart.RbrThrDll:
                if (dlab) { _dll = value; return false; }
                // The byte leaves at once, so THR is empty again straight away.
                _thrPending = true;
                if ((_mcr & Uart.McrLoop) != 0)
                {
                    if (_rx.Enqueue([value]) == 0) _lsrErrors |= Uart.LsrOverrun;
                    return false;
                }
                return true;
            case Uart.IerDlm:
                if (dlab) { _dlm = value; return false; }
                WriteIer(value);
                return false;
            case Uart.IirFcr:
                WriteFcr(value);
                return false;
            case Uart.Lcr:
                _lcr = value;
                return false;
            case Uart.Mcr:
                {
                    byte before = ModemLines();
                    _mcr = (byte)(value & Uart.McrMask);
                    _msrDeltas |= ModemDeltas(before, ModemLines());
                    return false;
                }
            case Uart.Scr:
                _scr = value;
                return false;
            default:
                // LSR and MSR are read-only here (their write side is a factory test mode).
                return false;
        }
    }

    private void WriteIer(byte value)
    {
        byte next = (byte)(value & Uart.IerMask);
        bool thrEnableChanged = ((_ier ^ next) & Uart.IerThrEmpty) != 0;
        _ier = next;
        // Enabling ETBEI while THR is empty raises the interrupt even if IIR already acknowledged
        // it (Linux's THRE test and Windows rely on this); disabling it forgets the pending one.
        if (thrEnableChanged) _thrPending = (next & Uart.IerThrEmpty) != 0;
    }

    private void WriteFcr(byte value)
    {
        bool wasEnabled = FifoEnabled;
        _fcr = (byte)(value & Uart.FcrStoredMask);
        // Toggling the FIFO enable empties both FIFOs, as does the explicit RX clear bit.
        if ((value & Uart.FcrClearRx) != 0 || wasEnabled != FifoEnabled)
            _rx.Discard(wasEnabled ? Uart.HardwareFifoSize : 1);
    }

    private bool FifoEnabled => (_fcr & Uart.FcrEnable) != 0;

    private byte LineStatusLocked()
    {
        byte lsr = (byte)(_lsrErrors | Uart.LsrThrEmpty | Uart.LsrTxEmpty);
        if (_rx.Count > 0) lsr |= Uart.LsrDataReady;
        return lsr;
    }

    /// <summary>The high nibble of MSR: wired to MCR in loopback, otherwise a peer that is always ready.</summary>
    private byte ModemLines()
    {
        if ((_mcr & Uart.McrLoop) == 0) return Uart.MsrCts | Uart.MsrDsr | Uart.MsrDcd;
        byte lines = 0;
        if ((_mcr & Uart.McrRts) != 0) lines |= Uart.MsrCts;
        if ((_mcr & Uart.McrDtr) != 0) lines |= Uart.MsrDsr;
        if ((_mcr & Uart.McrOut1) != 0) lines |= Uart.MsrRi;
        if ((_mcr & Uart.McrOut2) != 0) lines |= Uart.MsrDcd;
        return lines;
    }

    private static byte ModemDeltas(byte before, byte after)
    {
        byte changed = (byte)(before ^ after);
        byte deltas = 0;
        if ((changed & Uart.MsrCts) != 0) deltas |= Uart.MsrDeltaCts;
        if ((changed & Uart.MsrDsr) != 0) deltas |= Uart.MsrDeltaDsr;
        if ((before & Uart.MsrRi) != 0 && (after & Uart.MsrRi) == 0) deltas |= Uart.MsrTrailingRi;
        if ((changed & Uart.MsrDcd) != 0) deltas |= Uart.MsrDeltaDcd;
        return deltas;
    }

    /// <summary>The highest-priority enabled interrupt, as IIR bits 0-3.</summary>
    private byte PendingInterruptLocked()
    {
        if ((_ier & Uart.IerLineStatus) != 0 && _lsrErrors != 0) return Uart.IirLineStatus;
        if ((_ier & Uart.IerRxData) != 0 && _rx.Count > 0) return Uart.IirRxData;
        if ((_ier & Uart.IerThrEmpty) != 0 && _thrPending) return Uart.IirThrEmpty;
        if ((_ier & Uart.IerModemStatus) != 0 && _msrDeltas != 0) return Uart.IirModemStatus;
        return Uart.IirNoInterrupt;
    }

    private void UpdateIrqLocked()
    {
        // On a PC, OUT2 enables the tri-state buffer between the UART and the IRQ line.
        bool high = PendingInterruptLocked() != Uart.IirNoInterrupt && (_mcr & Uart.McrOut2) != 0;
        if (high == _irqHigh) return;
        _irqHigh = high;
        _irq.SetLevel(high);
    }

    /// <summary>The id of this UART's saved state ("serial0" unless the builder names it otherwise).</summary>
    public string StateId { get; init; } = "serial0";

    public int SaveState(IBufferWriter<byte> output) => Serial16550StateCodec.Write(output, GetState());

    public void RestoreState(ReadOnlySpan<byte> state) =>
        StateApply.Apply(Serial16550StateCodec.Kind, Serial16550StateCodec.Read(state), SetState);

    public Serial16550State GetState()
    {
        lock (_lock)
        {
            return new Serial16550State(_ier, _lcr, _mcr, _fcr, _scr, _dll, _dlm, _lsrErrors, _msrDeltas,
                _thrPending, _lastReceived, _rx.ToArray());
        }
    }

    /// <exception cref="ArgumentException">The saved receive buffer is larger than this UART's.</exception>
    public void SetState(Serial16550State state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(state.ReceiveBuffer);
        if (state.ReceiveBuffer.Length > Uart.ReceiveBufferSize)
            throw new ArgumentException(
                $"serial state holds {state.ReceiveBuffer.Length} received bytes; the buffer holds {Uart.ReceiveBufferSize}",
                nameof(state));
        lock (_lock)
        {
            _ier = (byte)(state.Ier & Uart.IerMask);
            _lcr = state.Lcr;
            _mcr = (byte)(state.Mcr & Uart.McrMask);
            _fcr = (byte)(state.Fcr & Uart.FcrStoredMask);
            _scr = state.Scr;
            _dll = state.DivisorLow;
            _dlm = state.DivisorHigh;
            _lsrErrors = (byte)(state.LineStatusErrors & Uart.LsrErrorBits);
            _msrDeltas = (byte)(state.ModemStatusDeltas & Uart.MsrDeltaMask);
            _thrPending = state.ThrEmptyInterruptPending;
            _lastReceived = state.LastReceived;
            _rx.Clear();
            _rx.Enqueue(state.ReceiveBuffer);
            UpdateIrqLocked();
        }
    }
}
