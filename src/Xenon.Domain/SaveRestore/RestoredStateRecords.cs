using System.Text;
using Xenon.Devices.State;
using Xenon.Domain.Save;
using Xenon.Machine.State;

namespace Xenon.Domain.SaveRestore;

/// <summary>
/// The vCPU, platform and device records of a save file or a migration stream, kept until the stream has been read
/// to its End (nothing runs on a half-read stream), then applied in one go: the machine starts from the CPU state,
/// then every device takes its blob. Shared by <see cref="SavedDomainReader"/> and the migration receiver.
/// </summary>
internal sealed class RestoredStateRecords
{
    private readonly VcpuState?[] _vcpus;
    private readonly List<PendingDeviceState> _devices = [];
    private PlatformState? _platform;

    /// <param name="source">How errors name the stream ("FILE" or "the migration stream").</param>
    public RestoredStateRecords(int vcpuCount, string source)
    {
        _vcpus = new VcpuState?[vcpuCount];
        Source = source;
    }

    public string Source { get; }

    public int DeviceCount => _devices.Count;

    /// <summary>Keeps a VcpuState, PlatformState or DeviceState record; false for any other type.</summary>
    public bool TryTake(SaveRecord record)
    {
        switch (record.Type)
        {
            case SaveRecordType.VcpuState:
                int index = record.VcpuIndex;
                if (index >= _vcpus.Length)
                    throw record.Error(0, "vCPU index", $"vCPU {index}, but the domain has {_vcpus.Length}");
                try
                {
                    _vcpus[index] = VcpuStateCodec.Decode(record.VcpuState);
                }
                catch (StateFormatException e)
                {
                    throw record.Error(8, "state", e.Message, e);
                }
                return true;
            case SaveRecordType.PlatformState:
                try
                {
                    _platform = PlatformStateCodec.Decode(record.PlatformState);
                }
                catch (StateFormatException e)
                {
                    throw record.Error(0, "state", e.Message, e);
                }
                return true;
            case SaveRecordType.DeviceState:
                _devices.Add(new PendingDeviceState(record.DeviceId, record.DeviceState.ToArray(), record.Offset));
                return true;
            default:
                return false;
        }
    }

    /// <summary>True once every vCPU and the platform have their state (<see cref="Complete"/> would not throw).</summary>
    public bool IsMachineComplete
    {
        get
        {
            if (_platform is null) return false;
            foreach (var vcpu in _vcpus)
                if (vcpu is null) return false;
            return true;
        }
    }

    /// <summary>Throws unless every vCPU and the platform have their state.</summary>
    public MachineState Complete()
    {
        for (int i = 0; i < _vcpus.Length; i++)
            if (_vcpus[i] is null) throw new DomainRestoreException($"{Source}: no state for vCPU {i}");
        if (_platform is null) throw new DomainRestoreException($"{Source}: no platform state");
        return new MachineState(_vcpus!, _platform);
    }

    /// <summary>Starts the machine from the CPU and platform state; the vCPUs stay parked until the caller resumes them.</summary>
    public void StartMachine(IRestoreTarget target) => target.StartFromState(Complete());

    /// <summary>Gives every device its state (after <see cref="StartMachine"/>), then lets each complete its restore.
    /// With <paramref name="profile"/>, each device's apply and completion is a step of it.</summary>
    public void RestoreDevices(IRestoreTarget target, StringBuilder? profile = null)
    {
        var restore = target.DeviceStates.BeginRestore();
        foreach (var (id, state, offset) in _devices)
        {
            var steps = new RestoreProfile();
            try
            {
                using (steps.Enter()) restore.Apply(id, state);
            }
            catch (DeviceStateException e)
            {
                throw new DomainRestoreException($"{Source}: device state record at offset {offset} (0x{offset:x}): {e.Message}", e);
            }
            profile?.Append(profile.Length > 0 ? " " : "").Append(steps.Summary(id));
        }
        var set = target.DeviceStates;
        // Apply refuses unknown and repeated ids, so equal counts mean every device had exactly one state; otherwise
        // Complete throws, naming a device without one.
        if (restore.RestoredCount != set.Devices.Count) restore.Complete();
        profile?.Append(", completed");
        foreach (var device in set.Devices)
        {
            var steps = new RestoreProfile();
            bool kept;
            using (steps.Enter()) kept = _kicks.CompleteOrKeep(device);
            if (!kept) profile?.Append(' ').Append(steps.Summary(device.StateId));
        }
        if (_kicks.Count > 0) profile?.Append(" (").Append(_kicks.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(" virtio functions' queue kicks after the run)");
    }

    /// <summary>After the guest runs (or is left paused): the virtio functions' queue kicks that
    /// <see cref="RestoreDevices"/> left out of restore-to-running (<see cref="QueueKicksAfterRun"/>).</summary>
    public void KickQueues() => _kicks.Kick();

    private readonly QueueKicksAfterRun _kicks = new();

    /// <summary>Refuses a stream whose memory map is not the one the receiving domain's configuration built.</summary>
    /// <param name="mapName">How the message names the stream's map ("the saved memory map").</param>
    /// <param name="builds">How it names the local one ("its configuration builds").</param>
    public static void RequireSameRegions(SaveRecord record, IRestoreTarget target, string mapName, string builds)
    {
        // Indexed as the array it is: through IReadOnlyList the struct's array interface helpers are compiled on first
        // use (no ReadyToRun code), inside a restore.
        var streamed = record.Regions as MemoryRegionEntry[] ?? record.Regions.ToArray();
        var here = target.Memory.Regions;
        bool same = streamed.Length == here.Count;
        for (int i = 0; same && i < streamed.Length; i++)
            same = streamed[i].Gpa == here[i].GuestAddress && streamed[i].Size == here[i].Size;
        if (!same)
            throw record.Error(0, "regions",
                $"{mapName} ({string.Join(", ", streamed.Select(r => $"0x{r.Gpa:x}+0x{r.Size:x}"))}) differs from the one {builds} ({string.Join(", ", here.Select(r => $"0x{r.GuestAddress:x}+0x{r.Size:x}"))})");
    }
}
