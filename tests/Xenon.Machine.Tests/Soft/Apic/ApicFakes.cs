using Xenon.Emulator.Memory;
using Xenon.Machine.Soft.Apic;

namespace Xenon.Machine.Tests.Soft.Apic;

/// <summary>A vCPU as a local APIC sees it: counts what the APIC asked of it.</summary>
internal sealed class FakeApicHost : ILocalApicHost
{
    public ulong ApicBase { get; set; } = 0xFEE0_0000 | (1UL << 11);
    public int Wakes, Nmis, StartupEvents;

    public void InterruptPending() => Interlocked.Increment(ref Wakes);
    public void Nmi() => Interlocked.Increment(ref Nmis);
    public void StartupEvent() => Interlocked.Increment(ref StartupEvents);
}

/// <summary>A PIC stand-in for LINT0: one pending vector or none.</summary>
internal sealed class FakePic : IInterruptSource
{
    public int Vector = -1;
    public bool HasPendingInterrupt => Vector >= 0;

    public int AcknowledgeInterrupt()
    {
        int v = Vector;
        Vector = -1;
        return v;
    }
}

/// <summary>Local APICs on one bus, with register helpers named after the xAPIC offsets.</summary>
internal sealed class ApicRig
{
    public ApicRig(int count = 2, IInterruptSource? pic = null)
    {
        Bus = new ApicBus();
        IoApic = new IoApic(Bus);
        Bus.EoiListener = IoApic.EndOfInterrupt;
        for (int i = 0; i < count; i++)
        {
            var host = new FakeApicHost();
            Hosts.Add(host);
            var apic = new LocalApic(Bus, host, pic, (uint)i, bootProcessor: i == 0);
            Apics.Add(apic);
            Bus.Add(apic);
        }
    }

    public ApicBus Bus { get; }
    public IoApic IoApic { get; }
    public List<LocalApic> Apics { get; } = [];
    public List<FakeApicHost> Hosts { get; } = [];

    public LocalApic this[int i] => Apics[i];

    /// <summary>Software-enables every APIC (SVR = 0x1FF), as an OS does first.</summary>
    public ApicRig Enabled()
    {
        foreach (var a in Apics) a.Write(ApicRegisters.Svr, 4, 0x1FF);
        return this;
    }

    public static uint Read(LocalApic apic, int offset) => (uint)apic.Read((uint)offset, 4);
    public static void Write(LocalApic apic, int offset, uint value) => apic.Write((uint)offset, 4, value);

    /// <summary>IRR/ISR/TMR bit of <paramref name="vector"/>.</summary>
    public static bool Bit(LocalApic apic, int register, int vector) =>
        (Read(apic, register + (vector >> 5) * 0x10) & (1u << (vector & 31))) != 0;

    public static void SendIpi(LocalApic from, uint low, byte destination = 0)
    {
        Write(from, ApicRegisters.IcrHigh, (uint)destination << 24);
        Write(from, ApicRegisters.IcrLow, low);
    }
}
