using Xenon.Emulator.Memory;

namespace Xenon.Machine.Soft.Platform;

/// <summary>
/// The PC's cascaded 8259 pair (master 0x20/0x21, slave 0xa0/0xa1 on master IRQ 2, ELCR 0x4d0/0x4d1) as the soft
/// backend's interrupt source for the boot vCPU (the PIC reaches it as ExtINT through LINT0 on a real PC).
/// Thread-safe: lines are driven from device threads, the vCPU acknowledges from its own.
/// </summary>
internal sealed class DualPic : IInterruptSource, ISignalsInterrupts
{
    // Set when the PIC is a CPU's interrupt source itself; behind a local APIC the platform raises the APIC's word.
    private InterruptAttention? _attention;

    public void AttachAttention(InterruptAttention attention)
    {
        _attention = attention;
        attention.Raise();
    }

    private readonly Lock _lock = new();
    private readonly Action _outputRaised;
    private volatile bool _output;

    /// <param name="outputRaised">Called (outside the lock) when the PIC starts asserting its output: wakes a halted vCPU.</param>
    public DualPic(Action outputRaised) => _outputRaised = outputRaised;

    public Pic8259 Master { get; } = new(isMaster: true);
    public Pic8259 Slave { get; } = new(isMaster: false);

    /// <summary>Read lock-free by the vCPU between blocks.</summary>
    public bool HasPendingInterrupt => _output;

    /// <summary>IRQ 0 is requested and not yet acknowledged (a new timer edge now would be lost). A racy read, fine for pacing.</summary>
    public bool Irq0Requested => (Volatile.Read(ref Master.Irr) & 1) != 0;

    public void SetIrq(int irq, bool level)
    {
        bool raised;
        lock (_lock)
        {
            if (irq < 8) Master.SetIrq(irq, level);
            else Slave.SetIrq(irq - 8, level);
            raised = Update();
        }
        if (raised) OutputRaised();
    }

    public int AcknowledgeInterrupt()
    {
        int vector;
        bool taken0;
        lock (_lock)
        {
            int irq = Master.PendingIrq();
            if (irq < 0) vector = Master.IrqBase + 7; // spurious IRQ 7: the request went away before INTA
            else
            {
                Master.Acknowledge(irq);
                if (irq == 2)
                {
                    int slaveIrq = Slave.PendingIrq();
                    if (slaveIrq >= 0) Slave.Acknowledge(slaveIrq);
                    else slaveIrq = 7; // spurious IRQ 15
                    vector = Slave.IrqBase + slaveIrq;
                }
                else vector = Master.IrqBase + irq;
            }
            Update();
            taken0 = irq == 0;
        }
        if (taken0) Irq0Acknowledged?.Invoke();
        return vector;
    }

    /// <summary>Called (outside the lock) after the CPU acknowledged IRQ 0: the PIT pays out its next owed tick.</summary>
    public Action? Irq0Acknowledged { get; set; }

    public bool IsPicPort(ushort port) => port is 0x20 or 0x21 or 0xa0 or 0xa1 or 0x4d0 or 0x4d1;

    public uint Read(ushort port)
    {
        bool raised;
        uint value;
        lock (_lock)
        {
            var pic = port is 0xa0 or 0xa1 ? Slave : Master;
            switch (port)
            {
                case 0x4d0: value = Master.Elcr; break;
                case 0x4d1: value = Slave.Elcr; break;
                default:
                    if (pic.Poll != 0)
                    {
                        value = PollRead(pic);
                    }
                    else value = (port & 1) == 0 ? pic.ReadStatus() : pic.Imr;
                    break;
            }
            raised = Update();
        }
        if (raised) OutputRaised();
        return value;
    }

    public void Write(ushort port, byte value)
    {
        bool raised;
        lock (_lock)
        {
            switch (port)
            {
                case 0x4d0: Master.Elcr = (byte)(value & Master.ElcrMask); break;
                case 0x4d1: Slave.Elcr = (byte)(value & Slave.ElcrMask); break;
                case 0x20: Master.WriteCommand(value); break;
                case 0x21: Master.WriteData(value); break;
                case 0xa0: Slave.WriteCommand(value); break;
                case 0xa1: Slave.WriteData(value); break;
            }
            raised = Update();
        }
        if (raised) OutputRaised();
    }

    // Poll mode (OCW3 P=1): the read is the INTA cycle itself, returning 0x80 | irq, or 0 when nothing is pending.
    private static byte PollRead(Pic8259 pic)
    {
        pic.Poll = 0;
        int irq = pic.PendingIrq();
        if (irq < 0) return 0;
        pic.Acknowledge(irq);
        return (byte)(0x80 | irq);
    }

    private void OutputRaised()
    {
        _attention?.Raise();
        _outputRaised();
    }

    /// <summary>Recomputes the cascade and the output; true if the output went from low to high. Under the lock.</summary>
    private bool Update()
    {
        // The slave's INT is a level on master IR2. The slave drops it while its interrupt is in service, so the next
        // request is a fresh edge; a request withdrawn before INTA must not leave IR2 latched (it would end as IRQ 15).
        bool slaveOutput = Slave.PendingIrq() >= 0;
        Master.SetIrq(2, slaveOutput);
        if (!slaveOutput) Master.Irr &= unchecked((byte)~(1 << 2));
        bool output = Master.PendingIrq() >= 0;
        bool raised = output && !_output;
        _output = output;
        return raised;
    }

    public void WithLock(Action<DualPic> action)
    {
        lock (_lock) action(this);
    }
}
