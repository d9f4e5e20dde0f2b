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
    private readonly List<(string Id, byte[] State, long Offset)> _devices = [];
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
                    throw RecordError(record, 0, "vCPU index", $"vCPU {index}, but the domain has {_vcpus.Length}");
                try
                {
                    _vcpus[index] = VcpuStateCodec.Decode(record.VcpuState);
                }
                catch (StateFormatException e)
                {
                    throw StateError(record, 8, e);
                }
                return true;
            case SaveRecordType.PlatformState:
                try
                {
                    _platform = PlatformStateCodec.Decode(record.PlatformState);
                }
                catch (StateFormatException e)
                {
                    throw StateError(record, 0, e);
                }
                return true;
            case SaveRecordType.DeviceState:
                _devices.Add((record.DeviceId, record.DeviceState.ToArray(), record.Offset));
                return true;
            default:
                return false;
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

    /// <summary>Gives every device its state (after <see cref="StartMachine"/>).</summary>
    public void RestoreDevices(IRestoreTarget target)
    {
        var restore = target.DeviceStates.BeginRestore();
        foreach (var (id, state, offset) in _devices)
        {
            try
            {
                restore.Apply(id, state);
            }
            catch (DeviceStateException e)
            {
                throw new DomainRestoreException($"{Source}: device state record at offset {offset} (0x{offset:x}): {e.Message}", e);
            }
        }
        restore.Complete();
    }

    private static SaveFormatException StateError(SaveRecord record, int payloadStart, StateFormatException e) =>
        new(record.Offset + SaveFormat.RecordHeaderSize + payloadStart, record.Index, record.Type, "state", e.Message, e);

    private static SaveFormatException RecordError(SaveRecord record, int payloadOffset, string field, string reason) =>
        new(record.Offset + SaveFormat.RecordHeaderSize + payloadOffset, record.Index, record.Type, field, reason);
}
