using Xenon.Machine.Backend;
using Xenon.Machine.Memory;
using Xenon.Machine.Soft.Apic;

namespace Xenon.Machine.Soft.Platform;

/// <summary>
/// The interrupt controllers and timers the soft backend emulates itself, where KVM has them in the kernel: the PIC pair,
/// the PIT (with port 0x61), the IOAPIC, the APIC bus the vCPUs' local APICs join, their timer thread, and MSI. Their
/// ports and MMIO never reach the machine's buses.
/// GSI wiring, as the MADT describes it: ISA IRQ n (line n, n &lt; 16) drives PIC input n and IOAPIC pin n, except the
/// PIT's IRQ 0, which is IOAPIC pin 2 (the interrupt source override), and IRQ 2, the PIC cascade, which has no PIC input;
/// lines 16–23 reach only the IOAPIC.
/// </summary>
internal sealed class SoftPlatform : IDisposable
{
    public const int GsiCount = 24;
    public const int PitIoApicPin = 2;

    private readonly SoftIrqLine[] _lines = new SoftIrqLine[GsiCount];

    public SoftPlatform()
    {
        Apics = new ApicBus();
        Pic = new DualPic(WakePicTargets);
        IoApic = new IoApic(Apics);
        Apics.EoiListener = IoApic.EndOfInterrupt;
        Timers = new ApicTimerService(Apics);
        Msi = new SoftMsiController(Apics);
        for (int i = 0; i < GsiCount; i++) _lines[i] = new SoftIrqLine(this, i);
        Pit = new Pit8254(() => _lines[0].Pulse(), Irq0Latched);
        Pic.Irq0Acknowledged = Pit.Irq0Taken;
    }

    public DualPic Pic { get; }
    public Pit8254 Pit { get; }
    public IoApic IoApic { get; }
    public ApicBus Apics { get; }
    public ApicTimerService Timers { get; }
    public SoftMsiController Msi { get; }

    public IIrqLine Line(int gsi) => _lines[gsi];

    internal void SetLevel(int gsi, bool high)
    {
        if (gsi < 16 && gsi != 2) Pic.SetIrq(gsi, high);
        IoApic.SetLevel(gsi == 0 ? PitIoApicPin : gsi, high);
    }

    /// <summary>Joins a vCPU's local APIC to the bus, the timer thread and the PIT's pacing.</summary>
    public void Attach(LocalApic apic)
    {
        apic.Timers = Timers;
        apic.Acknowledged = VectorAcknowledged;
        Apics.Add(apic);
    }

    public void Detach(LocalApic apic)
    {
        Apics.Remove(apic);
        apic.Timers = null;
    }

    // The PIC began asserting its output: wake the vCPUs it reaches (LINT0 as ExtINT), the boot vCPU on a PC.
    private void WakePicTargets()
    {
        foreach (var apic in Apics.Apics)
        {
            apic.SignalAttention(); // whether LINT0 takes it is the APIC's poll to answer
            if (apic.AcceptsPic) apic.Host.InterruptPending();
        }
    }

    // IRQ 0 is requested and not yet taken on whichever controller routes it (a new edge now would be lost): the PIC's
    // IR0 while unmasked, or IOAPIC pin 2's vector in some local APIC's IRR. The PIT owes the edge instead.
    private bool Irq0Latched()
    {
        if (Pic.Irq0Requested && (Volatile.Read(ref Pic.Master.Imr) & 1) == 0) return true;
        int vector = IoApic.VectorOf(PitIoApicPin);
        return vector >= 16 && Apics.IsRequestedAnywhere(vector);
    }

    private void VectorAcknowledged(int vector)
    {
        if (vector == IoApic.VectorOf(PitIoApicPin)) Pit.Irq0Taken();
    }

    public bool TryRead(ushort port, int size, out uint value)
    {
        if (Pic.IsPicPort(port))
        {
            value = Pic.Read(port);
            return true;
        }
        if (Pit8254.IsPitPort(port))
        {
            value = Pit.Read(port);
            return true;
        }
        value = 0;
        return false;
    }

    public bool TryWrite(ushort port, int size, uint value)
    {
        if (Pic.IsPicPort(port))
        {
            Pic.Write(port, (byte)value);
            return true;
        }
        if (Pit8254.IsPitPort(port))
        {
            Pit.Write(port, (byte)value);
            return true;
        }
        return false;
    }

    /// <summary>The IOAPIC's page: served here for every vCPU.</summary>
    public static bool IsIoApic(ulong gpa) => gpa - X86Layout.IoApicBase < 0x1000;

    public void Dispose()
    {
        Pit.Dispose();
        Timers.Dispose();
    }
}

/// <summary>A GSI of the soft platform (see <see cref="SoftPlatform"/> for where each one goes).</summary>
internal sealed class SoftIrqLine(SoftPlatform platform, int gsi) : IIrqLine
{
    public int Gsi { get; } = gsi;

    public void SetLevel(bool high) => platform.SetLevel(Gsi, high);
}
