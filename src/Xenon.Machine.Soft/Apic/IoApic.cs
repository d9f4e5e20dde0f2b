using Xenon.Machine.State;

namespace Xenon.Machine.Soft.Apic;

/// <summary>
/// The IOAPIC at 0xFEC00000 (version 0x11, 24 pins, as KVM's): IOREGSEL at offset 0, IOWIN at 0x10; ID, version,
/// arbitration and the redirection table (vector, delivery mode, destination mode and ID, polarity, trigger mode, mask,
/// remote IRR). A line's level is its asserted state whatever the polarity bit says (devices drive "asserted", as with
/// KVM). Edge pins deliver on the rising edge when unmasked (a masked edge is lost); level pins deliver while asserted,
/// unmasked and without remote IRR, which the EOI of their vector clears. Thread-safe; delivery happens under this
/// lock (the local APICs never call back into it while holding theirs).
/// </summary>
internal sealed class IoApic
{
    public const int Pins = IoapicState.Pins;
    public const uint VersionValue = 0x11 | ((Pins - 1) << 16);

    private const ulong Masked = 1UL << 16, LevelTriggered = 1UL << 15, RemoteIrr = 1UL << 14, DeliveryStatus = 1UL << 12;
    // vector, delivery mode, destination mode, polarity, trigger mode, mask; the destination byte in the high word
    private const ulong WritableLow = 0x1AFFF;

    private readonly Lock _lock = new();
    private readonly ApicBus _bus;
    private readonly ulong[] _redirection = new ulong[Pins];
    private uint _ioRegSel, _id;
    private uint _levels; // pins whose line is asserted (KVM's "irr")

    public IoApic(ApicBus bus)
    {
        _bus = bus;
        for (int i = 0; i < Pins; i++) _redirection[i] = Masked;
    }

    /// <summary>Delivered messages (tests, diagnostics).</summary>
    public long Delivered;

    public void SetLevel(int pin, bool asserted)
    {
        if ((uint)pin >= Pins) return;
        uint bit = 1u << pin;
        lock (_lock)
        {
            bool was = (_levels & bit) != 0;
            if (!asserted)
            {
                _levels &= ~bit;
                return;
            }
            _levels |= bit;
            ulong e = _redirection[pin];
            if ((e & LevelTriggered) != 0 || !was) Service(pin);
        }
    }

    /// <summary>Delivers the pin's interrupt if its entry lets it through. Under the lock.</summary>
    private void Service(int pin)
    {
        ulong e = _redirection[pin];
        if ((e & Masked) != 0 || (_levels & (1u << pin)) == 0) return;
        bool level = (e & LevelTriggered) != 0;
        if (level)
        {
            if ((e & RemoteIrr) != 0) return;
            _redirection[pin] = e | RemoteIrr;
        }
        var mode = (DeliveryMode)((e >> 8) & 7);
        var message = new ApicMessage((byte)e, mode, (e & (1UL << 11)) != 0, (byte)(e >> 56), level);
        if (mode is DeliveryMode.Fixed or DeliveryMode.LowestPriority && (byte)e < 16) return; // a vector no APIC accepts
        _bus.Deliver(message);
        Delivered++;
    }

    /// <summary>A local APIC's EOI of a level-triggered vector: every level pin with that vector and remote IRR set
    /// is done; one whose line is still asserted delivers again.</summary>
    public void EndOfInterrupt(int vector)
    {
        lock (_lock)
        {
            for (int pin = 0; pin < Pins; pin++)
            {
                ulong e = _redirection[pin];
                if ((byte)e != vector || (e & LevelTriggered) == 0 || (e & RemoteIrr) == 0) continue;
                _redirection[pin] = e & ~RemoteIrr;
                Service(pin);
            }
        }
    }

    /// <summary>The vector of an unmasked pin, or -1 (the PIT's pacing asks about pin 2).</summary>
    public int VectorOf(int pin)
    {
        ulong e = Volatile.Read(ref _redirection[pin]);
        return (e & Masked) != 0 ? -1 : (byte)e;
    }

    public uint Read(uint offset)
    {
        lock (_lock)
        {
            return offset switch
            {
                0x00 => _ioRegSel,
                0x10 => ReadIndirect(),
                _ => 0,
            };
        }
    }

    public void Write(uint offset, uint value)
    {
        lock (_lock)
        {
            if (offset == 0x00) _ioRegSel = value & 0xFF;
            else if (offset == 0x10) WriteIndirect(value);
            // 0x40 (EOI register) exists from version 0x20 on; this one is 0x11
        }
    }

    private uint ReadIndirect()
    {
        uint index = _ioRegSel;
        switch (index)
        {
            case 0x00: return (_id & 0xF) << 24;
            case 0x01: return VersionValue;
            case 0x02: return (_id & 0xF) << 24;
        }
        int pin = (int)(index - 0x10) / 2;
        if (index < 0x10 || pin >= Pins) return 0xFFFF_FFFF;
        ulong e = _redirection[pin];
        return (index & 1) == 0 ? (uint)e : (uint)(e >> 32);
    }

    private void WriteIndirect(uint value)
    {
        uint index = _ioRegSel;
        if (index == 0x00)
        {
            _id = (value >> 24) & 0xF;
            return;
        }
        int pin = (int)(index - 0x10) / 2;
        if (index < 0x10 || pin >= Pins) return; // version and arbitration are read-only; beyond the table: nothing
        ulong e = _redirection[pin];
        if ((index & 1) == 0)
        {
            e = (e & ~WritableLow & ~0xFFFF_FFFFUL) | (e & (RemoteIrr | DeliveryStatus)) | (value & WritableLow);
            if ((e & LevelTriggered) == 0) e &= ~RemoteIrr; // an edge pin has no remote IRR
        }
        else e = (e & 0xFFFF_FFFFUL) | ((ulong)(value & 0xFF00_0000) << 32);
        _redirection[pin] = e;
        // unmasking (or switching to level) with the line asserted: a level pin delivers now
        if ((e & LevelTriggered) != 0) Service(pin);
    }

    public IoapicState Capture()
    {
        lock (_lock)
        {
            var s = new IoapicState { BaseAddress = Xenon.Machine.Memory.X86Layout.IoApicBase, IoRegSel = _ioRegSel, Id = _id, Irr = _levels };
            _redirection.CopyTo(s.Redirection, 0);
            return s;
        }
    }

    /// <summary>Loads a captured state; only the writable bits and remote IRR of each entry survive.</summary>
    public void Restore(IoapicState s)
    {
        if (s.Redirection.Length != Pins) throw new ArgumentException($"IOAPIC state has {s.Redirection.Length} pins, must be {Pins}");
        lock (_lock)
        {
            _ioRegSel = s.IoRegSel & 0xFF;
            _id = s.Id & 0xF;
            _levels = s.Irr & ((1u << Pins) - 1);
            for (int i = 0; i < Pins; i++)
            {
                ulong e = s.Redirection[i] & (WritableLow | RemoteIrr | 0xFF00_0000_0000_0000UL);
                if ((e & LevelTriggered) == 0) e &= ~RemoteIrr;
                _redirection[i] = e;
            }
        }
    }
}
