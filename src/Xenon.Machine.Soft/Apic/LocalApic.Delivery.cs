using System.Numerics;
using Xenon.Emulator.Memory;
using static Xenon.Machine.Soft.Apic.ApicRegisters;

namespace Xenon.Machine.Soft.Apic;

/// <summary>Acceptance of messages, priority, the CPU's acknowledge (INTA) and EOI.</summary>
internal sealed partial class LocalApic
{
    // The CPU's attention word: raised after every change that can make HasPendingInterrupt true, so the CPU polls
    // this APIC only then (one volatile read per block otherwise).
    private InterruptAttention? _attention;

    public void AttachAttention(InterruptAttention attention)
    {
        _attention = attention;
        attention.Raise();
    }

    /// <summary>The PIC's output rose (it reaches this CPU if LINT0 accepts it): the CPU polls at its next block boundary.</summary>
    public void SignalAttention() => _attention?.Raise();

    /// <summary>Polled by the CPU when its attention word is raised (lock-free).</summary>
    public bool HasPendingInterrupt =>
        _interruptPending || ((_acceptsPic || _extIntPending) && _pic is { HasPendingInterrupt: true });

    /// <summary>The INTA cycle: the PIC's vector when it reaches the CPU through LINT0 (ExtINT bypasses the APIC's
    /// priorities), else the highest IRR vector above the processor priority moves to the ISR. -1 if nothing is due
    /// any more (the request went away between poll and acknowledge).</summary>
    public int AcknowledgeInterrupt()
    {
        if ((_acceptsPic || _extIntPending) && _pic is { HasPendingInterrupt: true } pic)
        {
            _extIntPending = false;
            return pic.AcknowledgeInterrupt();
        }
        int vector;
        lock (_lock)
        {
            vector = HighestBit(Irr);
            if (vector < 0 || (vector & 0xF0) <= (Reg(Ppr) & 0xF0))
            {
                Update();
                return -1;
            }
            ClearBit(Irr, vector);
            SetBit(Isr, vector);
            Update();
        }
        Acknowledged?.Invoke(vector);
        return vector;
    }

    /// <summary>CR8 is TPR[7:4].</summary>
    public ulong TaskPriorityClass
    {
        get => Volatile.Read(ref _regs[Tpr >> 2]) >> 4;
        set
        {
            lock (_lock)
            {
                Reg(Tpr) = (uint)(value & 0xF) << 4;
                Update();
            }
        }
    }

    /// <summary>A message for this APIC (the bus already matched the destination). Any thread.</summary>
    public void Accept(in ApicMessage m)
    {
        if (!HardwareEnabled) return;
        switch (m.Mode)
        {
            case DeliveryMode.Fixed or DeliveryMode.LowestPriority:
            {
                bool wake;
                lock (_lock)
                {
                    // a software-disabled APIC accepts no fixed interrupts (KVM drops them too)
                    if (!SoftwareEnabled) return;
                    wake = m.Vector < 16 ? RaiseError(EsrReceiveIllegalVector) : SetRequest(m.Vector, m.LevelTriggered);
                }
                if (wake) Host.InterruptPending();
                return;
            }
            case DeliveryMode.Nmi:
                Host.Nmi();
                return;
            case DeliveryMode.Init:
                if (m.LevelTriggered && !m.Assert) return;
                lock (_lock) _initPending = true;
                Host.StartupEvent();
                return;
            case DeliveryMode.Startup:
                lock (_lock) _sipiVector = m.Vector;
                Host.StartupEvent();
                return;
            case DeliveryMode.ExtInt:
                _extIntPending = true;
                _attention?.Raise();
                Host.InterruptPending();
                return;
            default:
                return; // SMI: there is no SMM
        }
    }

    /// <summary>Takes the INIT and start-up IPI that arrived since the last call (the vCPU thread handles them).</summary>
    public void TakeStartupEvents(out bool init, out int sipiVector)
    {
        lock (_lock)
        {
            init = _initPending;
            sipiVector = _sipiVector;
            _initPending = false;
            _sipiVector = -1;
        }
    }

    /// <summary>A write to the EOI register: the highest in-service vector is done. For a level-triggered one the
    /// IOAPIC hears the EOI (clears its remote IRR, re-delivers a line still asserted).</summary>
    public void EndOfInterrupt()
    {
        int vector;
        bool level;
        lock (_lock)
        {
            vector = HighestBit(Isr);
            if (vector < 0) return;
            ClearBit(Isr, vector);
            level = TestBit(Tmr, vector);
            Update();
        }
        if (level) _bus.BroadcastEoi(vector);
    }

    /// <summary>True if <paramref name="vector"/> is requested and not yet acknowledged (the PIT's lost-tick pacing).</summary>
    public bool IsRequested(int vector)
    {
        lock (_lock) return TestBit(Irr, vector);
    }

    /// <summary>Interrupts from this APIC's own LVT entries (timer, error): vector and mask from the entry, edge-triggered.
    /// Under the lock; true if the vCPU should be woken.</summary>
    private bool LocalInterrupt(int lvt)
    {
        uint entry = Reg(lvt);
        if ((entry & LvtMasked) != 0) return false;
        var mode = lvt == LvtTimer ? DeliveryMode.Fixed : (DeliveryMode)((entry >> 8) & 7);
        if (mode == DeliveryMode.Nmi)
        {
            Host.Nmi();
            return false;
        }
        if (mode != DeliveryMode.Fixed) return false;
        byte vector = (byte)entry;
        if (vector < 16) return lvt != LvtError && RaiseError(EsrReceiveIllegalVector);
        return SetRequest(vector, level: false);
    }

    /// <summary>Records an error in the pending ESR and raises the LVT error interrupt. Under the lock.</summary>
    private bool RaiseError(uint bits)
    {
        _esrPending |= bits;
        return LocalInterrupt(LvtError);
    }

    private bool SetRequest(int vector, bool level)
    {
        SetBit(Irr, vector);
        if (level) SetBit(Tmr, vector);
        else ClearBit(Tmr, vector);
        Update();
        return _interruptPending;
    }

    /// <summary>Recomputes PPR, the pending flag the CPU polls, and whether the PIC reaches the CPU. Under the lock.</summary>
    private void Update()
    {
        uint tpr = Reg(Tpr);
        int isrv = HighestBit(Isr);
        uint isrClass = isrv < 0 ? 0 : (uint)isrv & 0xF0;
        uint ppr = (tpr & 0xF0) >= isrClass ? tpr : isrClass;
        Reg(Ppr) = ppr;
        int irrv = HighestBit(Irr);
        _interruptPending = irrv >= 0 && ((uint)irrv & 0xF0) > (ppr & 0xF0);
        uint lint0 = Reg(LvtLint0);
        _acceptsPic = !HardwareEnabled ||
                      ((lint0 & LvtMasked) == 0 && (DeliveryMode)((lint0 >> 8) & 7) == DeliveryMode.ExtInt);
        // After the flags above are written (volatile): a CPU that sees the raise sees them too.
        if (HasPendingInterrupt) _attention?.Raise();
    }

    /// <summary>The processor priority, for lowest-priority arbitration (a racy read is fine there).</summary>
    public uint ProcessorPriority => Volatile.Read(ref _regs[Ppr >> 2]);

    /// <summary>Physical destination: this APIC's ID, or the broadcast ID 0xFF.</summary>
    public bool MatchesPhysical(byte destination) => destination == 0xFF || destination == ApicId;

    /// <summary>Logical destination against LDR under the DFR's model: flat (a bit mask of eight APICs) or cluster
    /// (high nibble the cluster, 0xF all clusters; low nibble a mask within it). 0xFF is broadcast in both.</summary>
    public bool MatchesLogical(byte destination)
    {
        if (destination == 0xFF) return true;
        uint ldr = Volatile.Read(ref _regs[Ldr >> 2]) >> 24;
        bool flat = (Volatile.Read(ref _regs[Dfr >> 2]) >> 28) == 0xF;
        if (flat) return (ldr & destination) != 0;
        uint cluster = (uint)destination >> 4;
        return (cluster == 0xF || cluster == ldr >> 4) && (ldr & destination & 0xF) != 0;
    }

    // 256-bit registers (ISR, TMR, IRR): eight 32-bit words 16 bytes apart.
    private int HighestBit(int register)
    {
        for (int word = 7; word >= 0; word--)
        {
            uint bits = _regs[(register >> 2) + word * 4];
            if (bits != 0) return word * 32 + 31 - BitOperations.LeadingZeroCount(bits);
        }
        return -1;
    }

    private bool TestBit(int register, int vector) => (_regs[(register >> 2) + (vector >> 5) * 4] & (1u << (vector & 31))) != 0;
    private void SetBit(int register, int vector) => _regs[(register >> 2) + (vector >> 5) * 4] |= 1u << (vector & 31);
    private void ClearBit(int register, int vector) => _regs[(register >> 2) + (vector >> 5) * 4] &= ~(1u << (vector & 31));
}
