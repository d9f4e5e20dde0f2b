using Xenon.Devices.State;
using Xenon.Domain.Process;
using Xenon.Domain.Save;
using Xenon.Domain.SaveRestore;
using Xenon.Domain.Virtio;
using Xenon.Machine;
using Xenon.Machine.Boot;
using Xenon.Machine.Memory;
using Xenon.Machine.State;

namespace Xenon.Domain;

/// <summary>One incarnation of a domain: its machine and platform devices. It is what a save reads
/// (<see cref="ISaveSource"/>) and what a restore fills (<see cref="IRestoreTarget"/>).</summary>
public sealed class RunningDomain : IDisposable, ISaveSource, IRestoreTarget
{
    internal RunningDomain(DomainSpec spec, VirtualMachine machine, PcPlatform platform, DomainDevices devices, BootPlan? plan)
    {
        Devices = devices;
        Spec = spec;
        Machine = machine;
        Platform = platform;
        BootPlan = plan;
        DeviceStates = platform.CreateStateSet();
    }

    public DomainSpec Spec { get; }
    public VirtualMachine Machine { get; }
    public PcPlatform Platform { get; }
    public DomainDevices Devices { get; }

    /// <summary>How the kernel was loaded; null for a domain restored from a saved file.</summary>
    public BootPlan? BootPlan { get; }

    /// <summary>Every stateful device, in the order a save writes them and a restore applies them.</summary>
    public DeviceStateSet DeviceStates { get; }

    public void Start() => Machine.Start();

    /// <summary>The ACPI power button: a guest that handles it powers off cleanly.</summary>
    public void PressPowerButton() => Platform.Acpi.PressPowerButton();

    /// <summary>Guest RAM in MiB (the domain's maxmem).</summary>
    public ulong RamMiB => Machine.Memory.RamSize / (1024 * 1024);

    /// <summary>xl mem-set: moves the balloon so the guest holds <paramref name="targetMiB"/>. Null on success, else why not.</summary>
    public string? SetMemoryTarget(ulong targetMiB) => Devices.SetMemoryTarget(targetMiB, RamMiB);

    /// <summary>xl vcpu-set: vCPUs 0 … <paramref name="count"/>-1 online, the rest asked to leave (ACPI CPU hotplug).
    /// Null on success, else why not (nothing changed).</summary>
    public string? SetOnlineVcpus(int count) => Platform.CpuHotplug.SetOnline(count);

    /// <summary>The vCPUs the guest has now, in order.</summary>
    public int[] OnlineVcpus() => Platform.CpuHotplug.OnlineVcpus();

    public void Destroy() => Machine.RequestShutdown(ShutdownReason.PowerOff, "destroyed");

    SaveHeader ISaveSource.Header => new(Spec.Name, Spec.Uuid);
    string ISaveSource.ConfigJson => DomainSpecJson.Serialize(Spec);
    GuestMemory ISaveSource.Memory => Machine.Memory;
    GuestMemory IRestoreTarget.Memory => Machine.Memory;
    int IRestoreTarget.VcpuCount => Machine.VcpuCount;
    bool ISaveSource.VcpusPaused => Machine.IsPaused;
    void ISaveSource.PauseVcpus() => Machine.Pause();
    void ISaveSource.ResumeVcpus() => Machine.Resume();
    void ISaveSource.QuiesceDevices() => Devices.QuiesceIo();
    void ISaveSource.ResumeDevices() => Devices.ResumeIo();
    MachineState ISaveSource.CaptureMachineState() => Machine.CaptureState();
    void IRestoreTarget.StartParked()
    {
        Machine.Start(paused: true);
        _startedParked = true;
    }

    void IRestoreTarget.StartFromState(MachineState state)
    {
        if (!_startedParked)
        {
            Machine.StartFromState(state, paused: true);
            return;
        }
        // Pause on a machine started parked only waits until every thread has parked (they may still be starting).
        Machine.Pause();
        Machine.RestoreState(state);
    }

    /// <summary>Only for a machine started parked that has not run: Pause then just waits until every thread has parked.</summary>
    MachineState? IRestoreTarget.CaptureParkedState()
    {
        if (!_startedParked) return null;
        Machine.Pause();
        return Machine.CaptureState();
    }

    private bool _startedParked;
    void IRestoreTarget.PrepareDevices() => Devices.PrepareForRestore();
    void IRestoreTarget.ResumeVcpus() => Machine.Resume();
    void IRestoreTarget.SpinParkedVcpus(TimeSpan time) => Machine.SpinParkedVcpus(time);
    void IRestoreTarget.Crash(string reason) => Machine.RequestShutdown(ShutdownReason.Crash, reason);

    public void Dispose()
    {
        // vCPUs stop, then the device threads, then memory and the VM go: a device thread never touches freed guest memory.
        Machine.Stop();
        Devices.Dispose();
        Machine.Dispose();
        Platform.Dispose();
    }
}
