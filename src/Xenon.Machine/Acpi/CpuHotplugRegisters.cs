namespace Xenon.Machine.Acpi;

/// <summary>The CPU hotplug register block's layout: what the DSDT's methods and the device model agree on.</summary>
public static class CpuHotplugRegisters
{
    /// <summary>Offset of the 32-bit CPU selector (the vCPU index, which is also its ACPI processor UID and APIC ID).</summary>
    public const int SelectorOffset = 0;

    /// <summary>Offset of the status/command byte of the selected CPU.</summary>
    public const int StatusOffset = 4;

    /// <summary>Read: the CPU is present (its _STA is 0xF).</summary>
    public const byte Enabled = 1 << 0;

    /// <summary>Read: an insertion waits for the guest (Notify 1). Write 1: acknowledged.</summary>
    public const byte InsertPending = 1 << 1;

    /// <summary>Read: a removal waits for the guest (Notify 3). Write 1: acknowledged.</summary>
    public const byte RemovePending = 1 << 2;

    /// <summary>Write 1 (from _EJ0): the guest has let the CPU go; it is no longer present.</summary>
    public const byte Eject = 1 << 3;
}
