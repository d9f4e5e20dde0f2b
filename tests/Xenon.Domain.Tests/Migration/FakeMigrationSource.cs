using Xenon.Devices.State;
using Xenon.Domain.Migration;
using Xenon.Domain.Save;
using Xenon.Domain.Tests.SaveRestore;
using Xenon.Machine.Memory;
using Xenon.Machine.State;

namespace Xenon.Domain.Tests.Migration;

/// <summary>A <see cref="FakeDomain"/> as a migration source: a dirty log the test fills, and a "guest" (<see cref="Guest"/>)
/// that writes memory each time the log is read, as a running guest would between two looks.</summary>
internal sealed class FakeMigrationSource(FakeDomain domain) : IMigrationSource
{
    private readonly SortedSet<ulong> _dirty = [];

    public FakeDomain Domain { get; } = domain;

    /// <summary>Runs on every look at the log (argument: how many looks before this one), before the log is read.</summary>
    public Action<int>? Guest { get; set; }

    public int Looks { get; private set; }
    public bool Logging { get; private set; }

    /// <summary>Makes page <paramref name="gpa"/> hold <paramref name="bytes"/> and zeroes (none: all zero) and logs it dirty, as
    /// the vCPUs' writes are.</summary>
    public void GuestWrite(ulong gpa, ReadOnlySpan<byte> bytes)
    {
        Domain.Memory.GetSpan(gpa, 4096).Clear();
        bytes.CopyTo(Domain.Memory.GetSpan(gpa, bytes.Length));
        if (Logging) _dirty.Add(gpa >> 12);
    }

    public SaveHeader Header => Domain.Header;
    public string ConfigJson => Domain.ConfigJson;
    public GuestMemory Memory => Domain.Memory;
    public bool VcpusPaused => Domain.VcpusPaused;
    public DeviceStateSet DeviceStates => Domain.DeviceStates;
    public void PauseVcpus() => Domain.PauseVcpus();
    public void ResumeVcpus() => Domain.ResumeVcpus();
    public void QuiesceDevices() => Domain.QuiesceDevices();
    public void ResumeDevices() => Domain.ResumeDevices();
    public MachineState CaptureMachineState() => Domain.CaptureMachineState();

    public void StartDirtyLog()
    {
        Domain.Events.Add("log on");
        Logging = true;
    }

    public int CollectDirtyPages(ulong[] pfns)
    {
        Guest?.Invoke(Looks++);
        int n = 0;
        foreach (ulong pfn in _dirty) pfns[n++] = pfn;
        _dirty.Clear();
        return n;
    }

    public void StopDirtyLog()
    {
        Domain.Events.Add("log off");
        Logging = false;
    }
}
