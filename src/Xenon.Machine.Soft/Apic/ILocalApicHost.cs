namespace Xenon.Machine.Soft.Apic;

/// <summary>What a <see cref="LocalApic"/> needs from the vCPU it belongs to. The notifications may come from any
/// thread (another vCPU's IPI, a device's MSI, the IOAPIC, the APIC timer thread) and must not block.</summary>
internal interface ILocalApicHost
{
    /// <summary>The CPU's IA32_APIC_BASE: page address and the hardware enable bit (11).</summary>
    ulong ApicBase { get; }

    /// <summary>An interrupt became pending: wake the vCPU from HLT (a running CPU polls between blocks).</summary>
    void InterruptPending();

    /// <summary>An NMI arrived (ICR, LINT1, MSI or IOAPIC with delivery mode NMI).</summary>
    void Nmi();

    /// <summary>An INIT or a start-up IPI arrived: the vCPU must stop and handle it on its own thread.</summary>
    void StartupEvent();
}
