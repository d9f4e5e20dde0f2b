using Xenon.Machine.Memory;

namespace Xenon.Machine.Acpi;

/// <summary>
/// Multiple APIC Description Table: one Processor Local APIC per possible vCPU (only the first
/// <c>vcpus</c> enabled, the rest online-capable for hotplug), the IOAPIC, the ISA interrupt
/// overrides a PC has (PIT on GSI 2, level-triggered SCI) and LINT1 as NMI.
/// </summary>
internal static class Madt
{
    /// <summary>Revision 5 makes the Online Capable flag meaningful.</summary>
    public const byte Revision = 5;

    /// <summary>KVM's in-kernel IOAPIC resets its ID register to 0; the table agrees with it.</summary>
    public const byte IoApicId = 0;

    /// <summary>xAPIC IDs are 8 bits and 0xff is broadcast.</summary>
    public const int MaxVcpus = 255;

    public const byte TypeLocalApic = 0, TypeIoApic = 1, TypeInterruptOverride = 2, TypeLocalApicNmi = 4;

    private const uint PcAtCompat = 1;
    private const uint LocalApicEnabled = 1u << 0;
    private const uint LocalApicOnlineCapable = 1u << 1;
    private const ushort ActiveHigh = 0b01, LevelTriggered = 0b11 << 2;

    public static byte[] Build(int vcpus, int maxVcpus)
    {
        ValidateCounts(vcpus, maxVcpus);
        var w = AcpiTableWriter.BeginTable("APIC", Revision);
        w.U32((uint)X86Layout.LocalApicBase);
        w.U32(PcAtCompat);

        for (int i = 0; i < maxVcpus; i++)
            w.Bytes(LocalApicEntry(i, enabled: i < vcpus));

        w.U8(TypeIoApic).U8(12).U8(IoApicId).U8(0).U32((uint)X86Layout.IoApicBase).U32(0);

        // ISA bus 0: the PIT's IRQ 0 is wired to IOAPIC pin 2.
        w.U8(TypeInterruptOverride).U8(10).U8(0).U8(0).U32(2).U16(0);
        w.U8(TypeInterruptOverride).U8(10).U8(0).U8(AcpiPorts.SciIrq).U32(AcpiPorts.SciIrq).U16(ActiveHigh | LevelTriggered);

        // All processors (UID 0xff): LINT1 is NMI, flags conform to the bus.
        w.U8(TypeLocalApicNmi).U8(6).U8(0xff).U16(0).U8(1);
        return w.Finish();
    }

    /// <summary>vCPU <paramref name="index"/>'s Processor Local APIC entry (8 bytes; UID and APIC ID are the index):
    /// enabled, or online-capable for a CPU that may be hot-added. Also what its _MAT returns, always enabled.</summary>
    public static byte[] LocalApicEntry(int index, bool enabled)
    {
        if (index is < 0 or >= MaxVcpus) throw new ArgumentOutOfRangeException(nameof(index), index, $"vCPU index 0 to {MaxVcpus - 1}");
        uint flags = enabled ? LocalApicEnabled : LocalApicOnlineCapable;
        return [TypeLocalApic, 8, (byte)index, (byte)index, (byte)flags, (byte)(flags >> 8), (byte)(flags >> 16), (byte)(flags >> 24)];
    }

    internal static void ValidateCounts(int vcpus, int maxVcpus)
    {
        if (vcpus < 1) throw new ArgumentOutOfRangeException(nameof(vcpus), vcpus, "at least one vCPU is needed");
        if (maxVcpus < vcpus) throw new ArgumentOutOfRangeException(nameof(maxVcpus), maxVcpus, $"maxvcpus must be at least vcpus ({vcpus})");
        if (maxVcpus > MaxVcpus) throw new ArgumentOutOfRangeException(nameof(maxVcpus), maxVcpus, $"at most {MaxVcpus} vCPUs can be described with xAPIC entries");
    }
}
