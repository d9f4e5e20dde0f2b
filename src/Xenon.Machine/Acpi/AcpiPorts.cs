namespace Xenon.Machine.Acpi;

/// <summary>
/// The fixed-hardware ACPI numbers this machine advertises in the FADT and DSDT. The ACPI PM
/// device model must use exactly these, so they live in one place.
/// </summary>
public static class AcpiPorts
{
    /// <summary>PM1a event block: PM1_STS (2 bytes) then PM1_EN (2 bytes).</summary>
    public const ushort Pm1aEvent = 0x600;
    public const byte Pm1EventLength = 4;

    /// <summary>PM1a control block (2 bytes): SCI_EN bit 0, SLP_TYP bits 10–12, SLP_EN bit 13.</summary>
    public const ushort Pm1aControl = 0x604;
    public const byte Pm1ControlLength = 2;

    /// <summary>ACPI PM timer (3.579545 MHz). Advertised as 24 bits wide (FADT TMR_VAL_EXT clear).</summary>
    public const ushort PmTimer = 0x608;
    public const byte PmTimerLength = 4;

    /// <summary>GPE0 block: GPE0_STS (2 bytes, write one to clear) then GPE0_EN (2 bytes); 16 general-purpose events.</summary>
    public const ushort Gpe0Block = 0x620;
    public const byte Gpe0BlockLength = 4;

    /// <summary>The GPE the CPU hotplug controller raises; the DSDT's \_GPE._E02 scans for changed CPUs.</summary>
    public const int CpuHotplugGpe = 2;

    /// <summary>CPU hotplug register block (8 bytes): a 32-bit CPU selector at offset 0, the selected CPU's
    /// status/command byte at offset 4 (bits in <see cref="CpuHotplugRegisters"/>).</summary>
    public const ushort CpuHotplugBlock = 0x630;
    public const byte CpuHotplugBlockLength = 8;

    /// <summary>FADT RESET_REG: writing <see cref="ResetValue"/> to this I/O port resets the machine.</summary>
    public const ushort ResetPort = 0xcf9;
    public const byte ResetValue = 0x06;

    /// <summary>ISA IRQ (and GSI) of the SCI: level-triggered, active high.</summary>
    public const byte SciIrq = 9;

    /// <summary>SLP_TYP value the DSDT's \_S5 package gives; SLP_TYP=5 with SLP_EN in PM1a_CNT means power off.</summary>
    public const byte S5SleepType = 5;

    /// <summary>pvpanic I/O port (ACPI device QEMU0001).</summary>
    public const ushort PvPanicPort = 0x505;

    /// <summary>PM1_CNT bits the PM device needs to decode a sleep request.</summary>
    public const ushort Pm1ControlSciEnable = 1 << 0;
    public const int Pm1ControlSleepTypeShift = 10;
    public const ushort Pm1ControlSleepTypeMask = 0b111 << Pm1ControlSleepTypeShift;
    public const ushort Pm1ControlSleepEnable = 1 << 13;
}
