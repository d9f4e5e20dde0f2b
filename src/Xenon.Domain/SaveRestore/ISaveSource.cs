using Xenon.Devices.State;
using Xenon.Domain.Save;
using Xenon.Machine.Memory;
using Xenon.Machine.State;

namespace Xenon.Domain.SaveRestore;

/// <summary>What <see cref="DomainSaver"/> needs of a running domain, in the order it uses it. <see cref="RunningDomain"/>
/// is the real one; tests give fakes that fail at any step.</summary>
public interface ISaveSource
{
    SaveHeader Header { get; }

    /// <summary>The domain's configuration as JSON: a restore builds the same machine from it.</summary>
    string ConfigJson { get; }

    GuestMemory Memory { get; }

    /// <summary>True if the vCPUs were already paused (xl pause) before the save: they stay paused after a failed save or a save with -c.</summary>
    bool VcpusPaused { get; }

    void PauseVcpus();

    void ResumeVcpus();

    /// <summary>Parks every device I/O thread; throws if one does not settle.</summary>
    void QuiesceDevices();

    void ResumeDevices();

    /// <summary>Every vCPU's and the platform's state; the vCPUs are paused.</summary>
    MachineState CaptureMachineState();

    DeviceStateSet DeviceStates { get; }
}
