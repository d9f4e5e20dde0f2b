using Xenon.Devices.Legacy.Acpi;
using Xenon.Devices.Legacy.CpuHotplug;
using Xenon.Devices.Legacy.I8042;
using Xenon.Devices.Legacy.Platform;
using Xenon.Devices.Legacy.Rtc;
using Xenon.Devices.Legacy.Serial;
using Xenon.Devices.Pci;
using Xenon.Devices.State;
using Xenon.Machine;
using Xenon.Machine.Backend;

namespace Xenon.Domain;

/// <summary>The legacy PC devices every domain has, wired to a machine's port bus and interrupt lines:
/// COM1 (COM2–COM4 read as absent), CMOS RTC, i8042 (reset), ACPI PM (S5, power button, PM timer), reset register 0xcf9, pvpanic,
/// the POST/delay ports, and the PCI root complex (host bridge, config space through 0xcf8/0xcfc
/// and ECAM) that PCI devices attach to, and ACPI CPU hotplug (a GPE block sharing the SCI, the hotplug registers).</summary>
public sealed class PcPlatform : IDisposable
{
    public const int KeyboardIrq = 1, Com1Irq = 4, RtcIrq = 8, SciIrq = 9, AuxIrq = 12;

    /// <summary>The console UART's base port (COM1).</summary>
    public const ushort Com1Port = 0x3f8;

    private PcPlatform(Serial16550 serial, CmosRtc rtc, I8042Controller i8042, AcpiPm acpi, ResetControl reset, PvPanic pvpanic, PciRoot pci,
        PciConfigIoPorts configPorts, GpeBlock gpe, CpuHotplugController cpuHotplug)
    {
        Gpe = gpe;
        CpuHotplug = cpuHotplug;
        Pci = pci;
        PciConfigPorts = configPorts;
        Serial = serial;
        Rtc = rtc;
        I8042 = i8042;
        Acpi = acpi;
        Reset = reset;
        PvPanic = pvpanic;
    }

    public Serial16550 Serial { get; }
    public CmosRtc Rtc { get; }
    public I8042Controller I8042 { get; }
    public AcpiPm Acpi { get; }
    public ResetControl Reset { get; }
    public PvPanic PvPanic { get; }
    public PciRoot Pci { get; }

    /// <summary>GPE0: general-purpose ACPI events (CPU hotplug's), on the SCI with PM1.</summary>
    public GpeBlock Gpe { get; }

    /// <summary>Which vCPUs the guest is given (xl vcpu-set), through ACPI processor hotplug.</summary>
    public CpuHotplugController CpuHotplug { get; }

    /// <summary>0xcf8/0xcfc: kept because its CONFIG_ADDRESS latch is part of a saved domain.</summary>
    public PciConfigIoPorts PciConfigPorts { get; }

    /// <summary>Every device of the domain that has state, in restore order: the legacy devices, the config-address
    /// latch, each PCI function by slot (the virtio functions carry their device models), and the root last, so that
    /// its <c>RestoreCompleted</c> maps the BARs once every function has its configuration space back.</summary>
    public DeviceStateSet CreateStateSet()
    {
        var set = new DeviceStateSet().Add(Serial).Add(Rtc).Add(I8042).Add(Acpi).Add(CpuHotplug).Add(Reset).Add(PciConfigPorts);
        foreach (var (_, device) in Pci.Devices)
            if (device is IStatefulDevice stateful) set.Add(stateful);
        return set.Add(Pci);
    }

    /// <param name="onlineVcpus">vCPUs present at boot (the rest of <c>vm.VcpuCount</c> can be hot-added); all by default.</param>
    public static PcPlatform Attach(VirtualMachine vm, ISerialOutput console, Action<string> log, int onlineVcpus = 0)
    {
        var backend = vm.Backend;
        var serial = new Serial16550(backend.GetIrqLine(Com1Irq), console);
        serial.Register(vm.Pio, Com1Port);
        new AbsentSerialPorts().Register(vm.Pio, [Com1Port]);
        var rtc = new CmosRtc(backend.GetIrqLine(RtcIrq));
        rtc.Register(vm.Pio);
        var i8042 = new I8042Controller(vm, backend.GetIrqLine(KeyboardIrq), backend.GetIrqLine(AuxIrq));
        i8042.Register(vm.Pio);
        var sci = new SharedIrqLine(backend.GetIrqLine(SciIrq));
        var acpi = new AcpiPm(sci.AddSource(), vm, log: log);
        acpi.Register(vm.Pio);
        var gpe = new GpeBlock(sci.AddSource());
        gpe.Register(vm.Pio, Machine.Acpi.AcpiPorts.Gpe0Block);
        var cpuHotplug = new CpuHotplugController(vm.VcpuCount, onlineVcpus > 0 ? onlineVcpus : vm.VcpuCount, gpe, log);
        cpuHotplug.Register(vm.Pio);
        var reset = new ResetControl(vm);
        var pciIo = new PciIoWindow((ushort)PciWindows.DefaultIoStart, PciWindows.IoSpaceEnd, log);
        pciIo.Register(vm.Pio);
        var pci = new PciRoot(vm.Mmio, pciIo, PciWindows.Default, log);
        // 0xcf9 (reset control) sits inside the config-address dword at 0xcf8: the config ports forward it
        var configPorts = new PciConfigIoPorts(pci, reset);
        configPorts.Register(vm.Pio);
        // CONFIG_ADDRESS writes need no exit of their own: each reaches the config ports, in order, before the
        // CONFIG_DATA access after it is handled, so a configuration access costs one exit instead of two (Linux
        // makes ~480 of them before /init). The zone covers the whole dword, so 0xcf9 (reset) and 0xcfb byte writes
        // are queued too; they take effect at the vCPU's next exit, which Linux's reboot path makes within ~15 ms
        // (its next reset method writes port 0x64). Backends without it (the soft CPU) exit on every write as before.
        (backend as IPortWriteCoalescing)?.CoalescePortWrites(PciConfigIoPorts.BasePort, 4);
        new PciEcam(pci).Register(vm.Mmio);
        var pvpanic = new PvPanic(vm, log);
        pvpanic.Register(vm.Pio);
        new PostCodePort().Register(vm.Pio);
        return new PcPlatform(serial, rtc, i8042, acpi, reset, pvpanic, pci, configPorts, gpe, cpuHotplug);
    }

    public void Dispose() => Rtc.Dispose();
}
