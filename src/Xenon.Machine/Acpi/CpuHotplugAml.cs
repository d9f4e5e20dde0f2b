using System.Globalization;
using static Xenon.Machine.Acpi.Aml.AmlEncoder;

namespace Xenon.Machine.Acpi;

/// <summary>
/// The DSDT's ACPI processor hotplug: one processor device per possible vCPU (\_SB.Cxxx, _HID ACPI0007, _UID = the
/// vCPU index = the MADT's processor UID and APIC ID) whose _STA reads the CPU hotplug register block
/// (<see cref="CpuHotplugRegisters"/>), and \_GPE._E02, which walks every CPU and Notify()s those with a pending
/// insertion (1, device check: Linux adds the CPU) or removal (3, eject request: Linux offlines it and calls _EJ0).
/// </summary>
/// <remarks>
/// In ASL:
/// <code>
/// OperationRegion (\_SB.CPRG, SystemIO, 0x630, 8)
/// Field (\_SB.CPRG, DWordAcc, NoLock, WriteAsZeros) { CSEL, 32 }
/// Field (\_SB.CPRG, ByteAcc, NoLock, WriteAsZeros) { Offset (4), CCMD, 8 }
/// Mutex (\_SB.CPLK, 0)
/// Method (\_SB.CSTA, 1) { Acquire (CPLK, 0xFFFF); CSEL = Arg0; Local0 = Zero
///                        If (CCMD &amp; 1) { Local0 = 0x0F }; Release (CPLK); Return (Local0) }
/// Method (\_SB.CEJ0, 1) { Acquire (CPLK, 0xFFFF); CSEL = Arg0; CCMD = 8; Release (CPLK) }
/// Method (\_SB.CNTF, 2) { If (Arg0 == 0) { Notify (C000, Arg1) } ... one If per CPU }
/// Method (\_SB.CSCN, 0) { Acquire (CPLK, 0xFFFF); Local0 = Zero
///     While (Local0 &lt; N) { CSEL = Local0; Local1 = CCMD
///         If (Local1 &amp; 2) { CCMD = 2; CNTF (Local0, 1) } Else { If (Local1 &amp; 4) { CCMD = 4; CNTF (Local0, 3) } }
///         Local0++ }
///     Release (CPLK) }
/// Device (\_SB.C002) { Name (_HID, "ACPI0007"); Name (_UID, 2); Method (_STA) { Return (CSTA (2)) }
///                      Name (_MAT, Buffer { 0, 8, 2, 2, 1, 0, 0, 0 }); Method (_EJ0, 1) { CEJ0 (2) } }
/// Scope (\_GPE) { Method (_E02) { \_SB.CSCN () } }
/// </code>
/// CSEL has a field of its own so that the interpreter writes the selector with one 32-bit OUT: with ByteAcc it took four
/// byte writes, each an exit to the VMM, for every _STA and every CPU a scan looks at.
/// The event is acknowledged before the Notify, so one raised while the guest handles it is seen by the next scan.
/// The boot CPU has no _EJ0: it cannot be removed. _MAT gives each CPU's MADT entry as enabled, which is what Linux
/// maps a hot-added CPU's APIC ID from (the MADT lists it as online-capable only).
/// </remarks>
internal static class CpuHotplugAml
{
    public const string RegionName = "\\_SB.CPRG";
    public const string MutexName = "\\_SB.CPLK";
    public const string StatusMethod = "\\_SB.CSTA";
    public const string EjectMethod = "\\_SB.CEJ0";
    public const string NotifyMethod = "\\_SB.CNTF";
    public const string ScanMethod = "\\_SB.CSCN";

    /// <summary>The name of vCPU <paramref name="index"/>'s processor device under \_SB (C000 … C0FE).</summary>
    public static string DeviceName(int index) => "C" + index.ToString("X3", CultureInfo.InvariantCulture);

    /// <summary>The objects that go into \_SB (region, field, mutex, methods, one device per possible vCPU).</summary>
    public static byte[][] SystemBusObjects(int maxVcpus)
    {
        if (maxVcpus is < 1 or > Madt.MaxVcpus) throw new ArgumentOutOfRangeException(nameof(maxVcpus), maxVcpus, $"1 to {Madt.MaxVcpus} vCPUs");
        var terms = new List<byte[]>
        {
            OperationRegion(RegionName, RegionSystemIo, AcpiPorts.CpuHotplugBlock, AcpiPorts.CpuHotplugBlockLength),
            Field(RegionName, FieldDWordAccWriteAsZeros, ("CSEL", 32)),
            FieldAt(RegionName, FieldByteAccWriteAsZeros, 8 * CpuHotplugRegisters.StatusOffset, ("CCMD", 8)),
            Mutex(MutexName),
            StatusMethodBody(),
            EjectMethodBody(),
            NotifyMethodBody(maxVcpus),
            ScanMethodBody(maxVcpus),
        };
        for (int i = 0; i < maxVcpus; i++) terms.Add(ProcessorDevice(i));
        return [.. terms];
    }

    /// <summary>\_GPE._E02: the SCI handler's entry for the CPU hotplug event.</summary>
    public static byte[] GpeScope() => Scope("\\_GPE",
        Method("_E" + AcpiPorts.CpuHotplugGpe.ToString("X2", CultureInfo.InvariantCulture), 0, Call(ScanMethod)));

    private static readonly byte[] Selector = NameString("\\_SB.CSEL");
    private static readonly byte[] Command = NameString("\\_SB.CCMD");

    private static byte[] StatusMethodBody() => Method(StatusMethod, 1,
        Acquire(MutexName),
        Store(Arg(0), Selector),
        Store(Integer(0), Local(0)),
        If(And(Command, Integer(CpuHotplugRegisters.Enabled)), Store(Integer(0x0f), Local(0))),
        Release(MutexName),
        Return(Local(0)));

    private static byte[] EjectMethodBody() => Method(EjectMethod, 1,
        Acquire(MutexName),
        Store(Arg(0), Selector),
        Store(Integer(CpuHotplugRegisters.Eject), Command),
        Release(MutexName));

    // Notify needs the device by name: one If per CPU picks it from the index.
    private static byte[] NotifyMethodBody(int maxVcpus)
    {
        var body = new byte[maxVcpus][];
        for (int i = 0; i < maxVcpus; i++)
            body[i] = If(LEqual(Arg(0), Integer((ulong)i)), Notify("\\_SB." + DeviceName(i), Arg(1)));
        return Method(NotifyMethod, 2, body);
    }

    private static byte[] ScanMethodBody(int maxVcpus) => Method(ScanMethod, 0,
        Acquire(MutexName),
        Store(Integer(0), Local(0)),
        While(LLess(Local(0), Integer((ulong)maxVcpus)),
            Store(Local(0), Selector),
            Store(Command, Local(1)),
            If(And(Local(1), Integer(CpuHotplugRegisters.InsertPending)),
                Store(Integer(CpuHotplugRegisters.InsertPending), Command),
                Call(NotifyMethod, Local(0), Integer(1))),
            Else(
                If(And(Local(1), Integer(CpuHotplugRegisters.RemovePending)),
                    Store(Integer(CpuHotplugRegisters.RemovePending), Command),
                    Call(NotifyMethod, Local(0), Integer(3)))),
            Increment(Local(0))),
        Release(MutexName));

    private static byte[] ProcessorDevice(int index)
    {
        var terms = new List<byte[]>
        {
            Name("_HID", AsciiString("ACPI0007")),
            Name("_UID", Integer((ulong)index)),
            Method("_STA", 0, Return(Call(StatusMethod, Integer((ulong)index)))),
            Name("_MAT", Buffer(Madt.LocalApicEntry(index, enabled: true))),
        };
        if (index != 0) terms.Add(Method("_EJ0", 1, Call(EjectMethod, Integer((ulong)index))));
        return Device(DeviceName(index), [.. terms]);
    }
}
