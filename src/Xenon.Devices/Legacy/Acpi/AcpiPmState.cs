namespace Xenon.Devices.Legacy.Acpi;

/// <summary>The ACPI PM block's saved form. <see cref="TimerValue"/> is the 24-bit PM timer at save time; it continues from there.</summary>
public sealed record AcpiPmState(ushort Status, ushort Enable, ushort Control, uint TimerValue);
