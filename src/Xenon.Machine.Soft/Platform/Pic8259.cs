namespace Xenon.Machine.Soft.Platform;

/// <summary>
/// One Intel 8259A programmable interrupt controller: IRR/ISR/IMR, the ICW1–4 initialisation sequence, OCW2 EOI and
/// rotation commands, OCW3 register select, poll and special mask, and the ELCR (edge/level per input, ports
/// 0x4d0/0x4d1). Not thread-safe: <see cref="DualPic"/> serialises every call.
/// </summary>
internal sealed class Pic8259
{
    public byte LastIrr, Irr, Imr, Isr, PriorityAdd, IrqBase, ReadRegSelect, Poll, SpecialMask, InitState, AutoEoi,
        RotateOnAutoEoi, SpecialFullyNestedMode, Init4, Elcr;
    public readonly byte ElcrMask;
    private readonly bool _isMaster;

    public Pic8259(bool isMaster)
    {
        _isMaster = isMaster;
        // IRQ 0, 1, 2 (master) and 8, 13 (slave) are always edge-triggered on a PC: their ELCR bits are read-only zero.
        ElcrMask = isMaster ? (byte)0xf8 : (byte)0xde;
    }

    /// <summary>Drives input <paramref name="irq"/> (0–7). Edge inputs latch IRR on a low→high transition, level inputs follow the line.</summary>
    public void SetIrq(int irq, bool level)
    {
        byte mask = (byte)(1 << irq);
        if ((Elcr & mask) != 0)
        {
            if (level) { Irr |= mask; LastIrr |= mask; }
            else { Irr &= (byte)~mask; LastIrr &= (byte)~mask; }
            return;
        }
        if (level)
        {
            if ((LastIrr & mask) == 0) Irr |= mask;
            LastIrr |= mask;
        }
        else LastIrr &= (byte)~mask;
    }

    /// <summary>Priority (0 = highest) of the highest set bit of <paramref name="mask"/> under the current rotation; 8 if none.</summary>
    private int Priority(byte mask)
    {
        if (mask == 0) return 8;
        int p = 0;
        while ((mask & (1 << ((p + PriorityAdd) & 7))) == 0) p++;
        return p;
    }

    /// <summary>The input the chip would present to the CPU now, or -1.</summary>
    public int PendingIrq()
    {
        int priority = Priority((byte)(Irr & ~Imr));
        if (priority == 8) return -1;
        byte inService = Isr;
        if (SpecialMask != 0) inService &= (byte)~Imr;
        // special fully nested mode: the slave's new interrupt may preempt one of its own in service through IRQ2
        if (SpecialFullyNestedMode != 0 && _isMaster) inService &= unchecked((byte)~(1 << 2));
        return priority < Priority(inService) ? (priority + PriorityAdd) & 7 : -1;
    }

    /// <summary>The INTA cycle for <paramref name="irq"/>: in service (unless auto-EOI); an edge request is consumed.</summary>
    public void Acknowledge(int irq)
    {
        byte mask = (byte)(1 << irq);
        if (AutoEoi != 0)
        {
            if (RotateOnAutoEoi != 0) PriorityAdd = (byte)((irq + 1) & 7);
        }
        else Isr |= mask;
        if ((Elcr & mask) == 0) Irr &= (byte)~mask;
    }

    public void WriteCommand(byte value)
    {
        if ((value & 0x10) != 0)
        {
            // ICW1: everything but the vector base and the ELCR is reset; ICW2 (and ICW3/4) follow on the data port
            LastIrr = 0;
            Irr &= Elcr;
            Imr = Isr = PriorityAdd = ReadRegSelect = Poll = SpecialMask = AutoEoi = RotateOnAutoEoi = SpecialFullyNestedMode = 0;
            InitState = 1;
            Init4 = (byte)(value & 1);
            return;
        }
        if ((value & 0x08) != 0)
        {
            // OCW3
            if ((value & 0x04) != 0) Poll = 1;
            if ((value & 0x02) != 0) ReadRegSelect = (byte)(value & 1);
            if ((value & 0x40) != 0) SpecialMask = (byte)((value >> 5) & 1);
            return;
        }
        // OCW2
        int irq;
        switch (value >> 5)
        {
            case 0:
            case 4:
                RotateOnAutoEoi = (byte)(value >> 7);
                break;
            case 1: // non-specific EOI
            case 5: // rotate on non-specific EOI
                int priority = Priority(Isr);
                if (priority == 8) break;
                irq = (priority + PriorityAdd) & 7;
                Isr &= (byte)~(1 << irq);
                if (value >> 5 == 5) PriorityAdd = (byte)((irq + 1) & 7);
                break;
            case 3: // specific EOI
                Isr &= (byte)~(1 << (value & 7));
                break;
            case 6: // set priority
                PriorityAdd = (byte)((value + 1) & 7);
                break;
            case 7: // rotate on specific EOI
                irq = value & 7;
                Isr &= (byte)~(1 << irq);
                PriorityAdd = (byte)((irq + 1) & 7);
                break;
        }
    }

    public void WriteData(byte value)
    {
        switch (InitState)
        {
            case 0:
                Imr = value; // OCW1
                break;
            case 1:
                IrqBase = (byte)(value & 0xf8);
                InitState = 2; // a PC's PICs are always cascaded: ICW3 follows
                break;
            case 2:
                InitState = Init4 != 0 ? (byte)3 : (byte)0;
                break;
            case 3:
                SpecialFullyNestedMode = (byte)((value >> 4) & 1);
                AutoEoi = (byte)((value >> 1) & 1);
                InitState = 0;
                break;
        }
    }

    /// <summary>A read of the command port outside poll mode: IRR or ISR, as OCW3 selected.</summary>
    public byte ReadStatus() => ReadRegSelect != 0 ? Isr : Irr;
}
