using Xenon.Devices.State;
using Xenon.Domain.Save;
using Xenon.Domain.SaveRestore;
using Xenon.Machine;
using Xenon.Machine.Memory;
using Xenon.Machine.State;

namespace Xenon.Domain.Migration;

/// <summary>
/// A running domain as a migration's source: what its save offers, plus the dirty log — the backend's log of vCPU
/// writes (KVM_MEM_LOG_DIRTY_PAGES, turned on for every RAM slot only while a migration runs) joined with the pages
/// device models wrote (<see cref="DeviceWriteLog"/>, through guest memory's write observer).
/// </summary>
internal sealed class DomainMigrationSource : IMigrationSource
{
    private readonly RunningDomain _domain;
    private readonly ISaveSource _save;
    private readonly Action<string> _log;
    private readonly ulong[][] _bitmaps;
    private DeviceWriteLog? _deviceWrites;
    private bool _logging;

    public DomainMigrationSource(RunningDomain domain, Action<string> log)
    {
        _domain = domain;
        _save = domain;
        _log = log;
        var regions = Machine.Memory.Regions;
        _bitmaps = new ulong[regions.Count][];
        for (int i = 0; i < regions.Count; i++) _bitmaps[i] = new ulong[(regions[i].Size / 4096 + 63) / 64];
    }

    private VirtualMachine Machine => _domain.Machine;

    public SaveHeader Header => _save.Header;
    public string ConfigJson => _save.ConfigJson;
    public GuestMemory Memory => _save.Memory;
    public bool VcpusPaused => _save.VcpusPaused;
    public DeviceStateSet DeviceStates => _save.DeviceStates;
    public void PauseVcpus() => _save.PauseVcpus();
    public void ResumeVcpus() => _save.ResumeVcpus();
    public void QuiesceDevices() => _save.QuiesceDevices();
    public void ResumeDevices() => _save.ResumeDevices();
    public MachineState CaptureMachineState() => _save.CaptureMachineState();

    public void StartDirtyLog()
    {
        var memory = Machine.Memory;
        // Beside any observer already there (the soft CPU's code cache needs every device write too).
        _deviceWrites = new DeviceWriteLog(memory);
        memory.AddWriteObserver(_deviceWrites);
        _logging = true;
        foreach (var region in memory.Regions) Machine.Backend.MapMemory(region, logDirty: true);
    }

    public int CollectDirtyPages(ulong[] pfns)
    {
        ArgumentNullException.ThrowIfNull(pfns);
        var regions = Machine.Memory.Regions;
        int count = 0;
        for (int r = 0; r < regions.Count; r++)
        {
            var bitmap = _bitmaps[r];
            Machine.Backend.GetAndClearDirtyLog(regions[r], bitmap);
            _deviceWrites?.DrainInto(r, bitmap);
            ulong firstPfn = regions[r].GuestAddress / 4096, pages = regions[r].Size / 4096;
            for (int w = 0; w < bitmap.Length; w++)
            {
                ulong word = bitmap[w];
                while (word != 0)
                {
                    int bit = System.Numerics.BitOperations.TrailingZeroCount(word);
                    word &= word - 1;
                    ulong page = (ulong)w * 64 + (ulong)bit;
                    if (page < pages) pfns[count++] = firstPfn + page;
                }
            }
        }
        return count;
    }

    /// <summary>The in-kernel PIC, IOAPIC, PIT and clock are read with VM ioctls that KVM serves while the vCPUs run and
    /// that change nothing. A vCPU's registers can only be read on its thread between runs (a pause), so the vCPU
    /// states come from a throwaway VM's vCPU (<see cref="ScratchStateCapture"/>: the same capture code), or are
    /// synthetic if that fails. The software backend's platform state comes from its throwaway VM too.</summary>
    public MachineState? LiveWarmupState()
    {
        ScratchState? scratch = null;
        try
        {
            scratch = ScratchStateCapture.Capture(Machine.Backend);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _log($"migration: warm-up: {e.Message}; the vCPU encoders run over a synthetic state");
        }
        if (scratch is null && Machine.Backend.Name != "kvm") return null;
        var vcpus = new VcpuState[Machine.VcpuCount];
        for (int i = 0; i < vcpus.Length; i++) vcpus[i] = scratch?.Vcpu ?? MigrationWarmup.SyntheticVcpu();
        return new MachineState(vcpus, scratch?.Platform ?? Machine.Backend.GetPlatformState());
    }

    /// <summary>Xenon's device models snapshot their state under their own locks (GetState), reading only: safe for a
    /// discarded copy while the domain runs.</summary>
    public bool DeviceStatesReadableLive => true;

    public void StopDirtyLog()
    {
        if (!_logging) return;
        _logging = false;
        var memory = Machine.Memory;
        if (_deviceWrites is not null) memory.RemoveWriteObserver(_deviceWrites);
        _deviceWrites = null;
        foreach (var region in memory.Regions) Machine.Backend.MapMemory(region, logDirty: false);
    }
}
