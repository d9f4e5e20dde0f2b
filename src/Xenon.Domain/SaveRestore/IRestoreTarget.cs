using Xenon.Devices.State;
using Xenon.Machine.Memory;
using Xenon.Machine.State;

namespace Xenon.Domain.SaveRestore;

/// <summary>What <see cref="SavedDomainReader"/> fills: a domain built from the saved configuration, without a kernel,
/// its vCPUs created but not started. <see cref="RunningDomain"/> is the real one.</summary>
public interface IRestoreTarget
{
    /// <summary>Freshly mapped (all zero) guest memory of the saved domain's size.</summary>
    GuestMemory Memory { get; }

    int VcpuCount { get; }

    DeviceStateSet DeviceStates { get; }

    /// <summary>Starts the vCPU threads parked before any state is known (a migration's receiver, while pre-copy runs:
    /// thread creation then costs no downtime). Optional: <see cref="StartFromState"/> starts them if this was not called.</summary>
    void StartParked();

    /// <summary>Starts the vCPU threads parked (unless <see cref="StartParked"/> did), with <paramref name="state"/> applied.</summary>
    void StartFromState(MachineState state);

    void ResumeVcpus();

    /// <summary>Parked vCPU threads spin (bounded by the machine) for <paramref name="time"/> instead of sleeping: the
    /// caller expects to apply state or resume soon (a migration's receiver after each pre-copy pass), and a running
    /// thread takes that at once, where a sleeping one must be woken and scheduled first.</summary>
    void SpinParkedVcpus(TimeSpan time)
    {
    }

    /// <summary>Readies the devices' host side for the saved state to come, before it is known (a migration's receiver,
    /// a prepared restore): work the devices' activation would otherwise do inside the downtime, such as a tap's
    /// offloads. It changes nothing the guest sees; the state's own apply still sets whatever differs.</summary>
    void PrepareDevices()
    {
    }

    /// <summary>The state of a machine started parked (<see cref="StartParked"/>) that has not run yet, for the
    /// receiver's warm-up (<see cref="Migration.MigrationWarmup.WarmReceiver"/>); null if the target cannot say.</summary>
    MachineState? CaptureParkedState() => null;

    /// <summary>Stops the domain as crashed (a memory image found corrupt after the domain started); the reason names
    /// the file, chunk and offsets. Called from a background thread, at most once.</summary>
    void Crash(string reason);
}
