using Xenon.Domain.Virtio;
using Xenon.Machine;
using Xenon.Machine.Boot;

namespace Xenon.Domain;

/// <summary>One incarnation of a domain: its machine and platform devices.</summary>
public sealed class RunningDomain : IDisposable
{
    internal RunningDomain(DomainSpec spec, VirtualMachine machine, PcPlatform platform, DomainDevices devices, BootPlan plan)
    {
        Devices = devices;
        Spec = spec;
        Machine = machine;
        Platform = platform;
        BootPlan = plan;
    }

    public DomainSpec Spec { get; }
    public VirtualMachine Machine { get; }
    public PcPlatform Platform { get; }
    public DomainDevices Devices { get; }
    public BootPlan BootPlan { get; }

    public void Start() => Machine.Start();

    /// <summary>The ACPI power button: a guest that handles it powers off cleanly.</summary>
    public void PressPowerButton() => Platform.Acpi.PressPowerButton();

    /// <summary>Guest RAM in MiB (the domain's maxmem).</summary>
    public ulong RamMiB => Machine.Memory.RamSize / (1024 * 1024);

    /// <summary>xl mem-set: moves the balloon so the guest holds <paramref name="targetMiB"/>. Null on success, else why not.</summary>
    public string? SetMemoryTarget(ulong targetMiB) => Devices.SetMemoryTarget(targetMiB, RamMiB);

    public void Destroy() => Machine.RequestShutdown(ShutdownReason.PowerOff, "destroyed");

    public void Dispose()
    {
        // vCPUs stop, then the device threads, then memory and the VM go: a device thread never touches freed guest memory.
        Machine.Stop();
        Devices.Dispose();
        Machine.Dispose();
        Platform.Dispose();
    }
}
