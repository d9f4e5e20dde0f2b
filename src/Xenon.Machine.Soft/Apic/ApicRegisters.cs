namespace Xenon.Machine.Soft.Apic;

/// <summary>xAPIC register offsets in the 4 KiB page (and in <see cref="Xenon.Machine.State.VcpuState.Lapic"/>, which
/// uses the same layout as KVM's <c>kvm_lapic_state</c>), and the bit fields the soft APICs use.</summary>
internal static class ApicRegisters
{
    public const int Id = 0x20, VersionRegister = 0x30, Tpr = 0x80, Apr = 0x90, Ppr = 0xA0, Eoi = 0xB0, Rrd = 0xC0, Ldr = 0xD0,
        Dfr = 0xE0, Svr = 0xF0, Isr = 0x100, Tmr = 0x180, Irr = 0x200, Esr = 0x280, LvtCmci = 0x2F0, IcrLow = 0x300,
        IcrHigh = 0x310, LvtTimer = 0x320, LvtThermal = 0x330, LvtPerf = 0x340, LvtLint0 = 0x350, LvtLint1 = 0x360,
        LvtError = 0x370, TimerInitial = 0x380, TimerCurrent = 0x390, TimerDivide = 0x3E0;

    /// <summary>Version 0x14 (integrated xAPIC, as KVM's) with six LVT entries (timer, thermal, perf, LINT0, LINT1,
    /// error: max LVT index 5). No directed EOI.</summary>
    public const uint VersionValue = 0x14 | (5u << 16);

    public const uint LvtMasked = 1u << 16;
    public const uint SvrEnabled = 1u << 8;
    public const uint TimerPeriodic = 1u << 17;

    // Writable bits of each LVT register (delivery status and remote IRR are read-only). TSC-deadline is not offered,
    // so only bit 17 of the timer mode is writable.
    public const uint LvtTimerMask = 0x000300FF, LvtThermalPerfMask = 0x000107FF, LvtLintMask = 0x0001A7FF, LvtErrorMask = 0x000100FF;

    // ESR bits: what this APIC detects.
    public const uint EsrSendIllegalVector = 1u << 5, EsrReceiveIllegalVector = 1u << 6, EsrIllegalRegister = 1u << 7;
}

/// <summary>Delivery modes of ICR, LVT, IOAPIC redirection entries and MSI data (bits 8–10).</summary>
internal enum DeliveryMode
{
    Fixed = 0,
    LowestPriority = 1,
    Smi = 2,
    Nmi = 4,
    Init = 5,
    Startup = 6,
    ExtInt = 7,
}

/// <summary>ICR destination shorthand (bits 18–19).</summary>
internal enum Shorthand
{
    None = 0,
    Self = 1,
    AllIncludingSelf = 2,
    AllExcludingSelf = 3,
}

/// <summary>One interrupt message on the APIC bus: an IPI, an IOAPIC redirection or an MSI.</summary>
internal readonly record struct ApicMessage(
    byte Vector, DeliveryMode Mode, bool LogicalDestination, byte Destination, bool LevelTriggered, bool Assert = true,
    Shorthand Shorthand = Shorthand.None);
