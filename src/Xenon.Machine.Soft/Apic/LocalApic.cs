using Xenon.Emulator.Memory;
using static Xenon.Machine.Soft.Apic.ApicRegisters;

namespace Xenon.Machine.Soft.Apic;

/// <summary>
/// One vCPU's local APIC in xAPIC mode: the 4 KiB register page its own CPU reaches at IA32_APIC_BASE (served inside the
/// backend, as KVM does, never by the machine's MMIO handler), interrupt acceptance and priority (IRR/ISR/TMR, TPR/PPR),
/// EOI with the IOAPIC's broadcast for level vectors, IPIs through the ICR, LINT0 as ExtINT from the PIC (virtual wire),
/// the LVT timer and the error register. It is the CPU's <see cref="IInterruptSource"/> and owns CR8.
/// Threading: register accesses, acknowledge and EOI come from the owning vCPU thread; messages and timer expiries
/// from any thread. State sits under one lock; the "something to deliver" answer the CPU polls is a lock-free flag.
/// Other controllers are called only outside the lock (IPIs, EOI broadcast), so no lock order can deadlock.
/// </summary>
internal sealed partial class LocalApic : IInterruptSource, ITaskPriority, ISignalsInterrupts
{
    private readonly Lock _lock = new();
    // The register page as KVM's kvm_lapic_state holds it: register at byte offset R is _regs[R >> 2].
    private readonly uint[] _regs = new uint[Xenon.Machine.State.VcpuState.LapicSize / 4];
    private readonly ApicBus _bus;
    private readonly IInterruptSource? _pic;
    private uint _esrPending; // errors detected since the last ESR write
    private volatile bool _interruptPending; // an IRR vector above the processor priority
    private volatile bool _acceptsPic; // LINT0 unmasked ExtINT, or the APIC hardware-disabled (then the PIC reaches the CPU directly)
    private volatile bool _extIntPending; // an ExtINT message (IOAPIC) asks for one PIC acknowledge
    private bool _initPending;
    private int _sipiVector = -1;

    public LocalApic(ApicBus bus, ILocalApicHost host, IInterruptSource? pic, uint apicId, bool bootProcessor)
    {
        _bus = bus;
        Host = host;
        _pic = pic;
        Reset(apicId, bootProcessor);
    }

    public ILocalApicHost Host { get; }

    /// <summary>Called (outside the lock) with each vector the CPU acknowledged: the PIT pays its next owed tick.</summary>
    public Action<int>? Acknowledged { get; set; }

    public byte ApicId => (byte)(Volatile.Read(ref _regs[Id >> 2]) >> 24);

    private bool HardwareEnabled => (Host.ApicBase & (1UL << 11)) != 0;
    private bool SoftwareEnabled => (_regs[Svr >> 2] & SvrEnabled) != 0;
    private ref uint Reg(int offset) => ref _regs[offset >> 2];

    /// <summary>True when <paramref name="gpa"/> is in this APIC's page and the APIC is hardware-enabled.</summary>
    public bool Decodes(ulong gpa)
    {
        ulong b = Host.ApicBase;
        return (b & (1UL << 11)) != 0 && (gpa & ~0xFFFUL) == (b & 0xFF_FFFF_F000UL);
    }

    /// <summary>Power-on / INIT state (SDM 10.4.7.1): everything cleared, LVTs masked, SVR 0xFF (software-disabled),
    /// DFR flat. As KVM's, the boot processor's LINT0 is ExtINT unmasked so the PIC reaches it (virtual wire) before
    /// the guest programs anything; every LINT1 is NMI (masked).</summary>
    public void Reset(uint apicId, bool bootProcessor)
    {
        lock (_lock)
        {
            Array.Clear(_regs);
            Reg(Id) = apicId << 24;
            Reg(VersionRegister) = VersionValue;
            Reg(Dfr) = 0xFFFF_FFFF;
            Reg(Svr) = 0xFF;
            foreach (int lvt in (ReadOnlySpan<int>)[LvtTimer, LvtThermal, LvtPerf, LvtLint0, LvtLint1, LvtError]) Reg(lvt) = LvtMasked;
            Reg(LvtLint0) = ((uint)DeliveryMode.ExtInt << 8) | (bootProcessor ? 0 : LvtMasked);
            Reg(LvtLint1) = ((uint)DeliveryMode.Nmi << 8) | LvtMasked;
            _esrPending = 0;
            _initPending = false;
            _sipiVector = -1;
            _extIntPending = false;
            StopTimer();
            Update();
        }
    }

    /// <summary>An MMIO read of <paramref name="size"/> bytes at <paramref name="offset"/> in the page. Registers are
    /// 32 bits in 16-byte slots: a narrower read takes bytes of the register, bytes 4–15 of a slot read 0.</summary>
    public ulong Read(uint offset, int size)
    {
        int slot = (int)(offset & 0xFF0);
        int inSlot = (int)(offset & 0xF);
        if (offset >= 0x400 || inSlot + size > 4)
        {
            if (offset >= 0x400 || inSlot < 4) Error(EsrIllegalRegister);
            return 0;
        }
        uint value;
        lock (_lock) value = ReadRegister(slot);
        value >>= 8 * inSlot;
        return size >= 4 ? value : value & ((1u << (8 * size)) - 1);
    }

    private uint ReadRegister(int slot)
    {
        switch (slot)
        {
            case Id: case VersionRegister: case Tpr: case Ppr: case Ldr: case Dfr: case Svr: case Esr: case IcrLow: case IcrHigh:
            case LvtTimer: case LvtThermal: case LvtPerf: case LvtLint0: case LvtLint1: case LvtError:
            case TimerInitial: case TimerDivide:
                return Reg(slot);
            case >= Isr and < Irr + 0x80:
                return Reg(slot);
            case TimerCurrent:
                return CurrentCount(ApicClock.Now());
            case Apr: case Eoi: case Rrd:
                return 0;
            default:
                _esrPending |= EsrIllegalRegister;
                return 0;
        }
    }

    /// <summary>An MMIO write. Only aligned 32-bit writes reach a register (others are dropped, as KVM drops them).</summary>
    public void Write(uint offset, int size, ulong value)
    {
        if (size != 4 || (offset & 0xF) != 0 || offset >= 0x400)
        {
            Error(EsrIllegalRegister);
            return;
        }
        uint v = (uint)value;
        int slot = (int)offset;
        if (slot == IcrLow)
        {
            ApicMessage message;
            lock (_lock)
            {
                Reg(IcrLow) = v & 0x000C_DFFF; // delivery status (bit 12) always reads idle: delivery is synchronous
                if (!TryIcrMessage(out message)) return;
            }
            _bus.Send(this, message);
            return;
        }
        if (slot == Eoi)
        {
            EndOfInterrupt();
            return;
        }
        bool error = false;
        lock (_lock)
        {
            switch (slot)
            {
                case Id: Reg(Id) = v & 0xFF00_0000; break;
                case Tpr: Reg(Tpr) = v & 0xFF; Update(); break;
                case Ldr: Reg(Ldr) = v & 0xFF00_0000; break;
                case Dfr: Reg(Dfr) = v | 0x0FFF_FFFF; break;
                case Svr: WriteSvr(v); break;
                case Esr: Reg(Esr) = _esrPending; _esrPending = 0; break;
                case IcrHigh: Reg(IcrHigh) = v & 0xFF00_0000; break;
                case LvtTimer: WriteLvtTimer(v); break;
                case LvtThermal: case LvtPerf: WriteLvt(slot, v & LvtThermalPerfMask); break;
                case LvtLint0: case LvtLint1: WriteLvt(slot, v & LvtLintMask); break;
                case LvtError: WriteLvt(slot, v & LvtErrorMask); break;
                case TimerInitial: Reg(TimerInitial) = v; StartTimer(ApicClock.Now()); break;
                case TimerDivide: WriteDivide(v & 0xB); break;
                case VersionRegister: case Apr: case Ppr: case Rrd: case TimerCurrent: case >= Isr and < Irr + 0x80:
                    break; // read-only: ignored, as KVM does
                default: error = true; break;
            }
        }
        if (error) Error(EsrIllegalRegister);
    }

    private void WriteSvr(uint v)
    {
        Reg(Svr) = v & 0x3FF;
        // software disable masks every LVT entry (SDM 10.4.7.2)
        if ((v & SvrEnabled) == 0)
            foreach (int lvt in (ReadOnlySpan<int>)[LvtTimer, LvtThermal, LvtPerf, LvtLint0, LvtLint1, LvtError]) Reg(lvt) |= LvtMasked;
        Update();
    }

    private void WriteLvt(int slot, uint v)
    {
        if (!SoftwareEnabled) v |= LvtMasked; // cannot be unmasked while software-disabled
        Reg(slot) = v;
        Update();
    }

    /// <summary>Builds the message an ICR write sends; false for one that sends nothing (INIT level de-assert, an
    /// illegal vector, a reserved delivery mode, or a shorthand the mode does not allow).</summary>
    private bool TryIcrMessage(out ApicMessage message)
    {
        uint low = Reg(IcrLow);
        var mode = (DeliveryMode)((low >> 8) & 7);
        var shorthand = (Shorthand)((low >> 18) & 3);
        bool levelAssert = (low & (1u << 14)) != 0, levelTrigger = (low & (1u << 15)) != 0;
        message = new ApicMessage((byte)low, mode, (low & (1u << 11)) != 0, (byte)(Reg(IcrHigh) >> 24), levelTrigger,
            levelAssert, shorthand);
        switch (mode)
        {
            case DeliveryMode.Fixed or DeliveryMode.LowestPriority:
                if ((byte)low >= 16) return true;
                RaiseError(EsrSendIllegalVector);
                return false;
            case DeliveryMode.Init:
                // "INIT level de-assert" (level 0, level-triggered) only resynchronised arbitration IDs on old APICs
                return !(levelTrigger && !levelAssert) && shorthand != Shorthand.Self;
            case DeliveryMode.Nmi or DeliveryMode.Startup or DeliveryMode.Smi:
                return shorthand != Shorthand.Self;
            default:
                return false; // 3 is reserved, ExtINT cannot be sent by the ICR
        }
    }

    public bool AcceptsPic => _acceptsPic;

    /// <summary>Records an error: here from a thread that does not hold the lock.</summary>
    private void Error(uint bits)
    {
        bool wake;
        lock (_lock) wake = RaiseError(bits);
        if (wake) Host.InterruptPending();
    }
}
