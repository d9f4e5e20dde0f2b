using System.Globalization;
using System.Text;
using Xenon.Devices.State;
using Xenon.Domain.Save;
using Xenon.Domain.SaveRestore;
using Xenon.Machine.State;

namespace Xenon.Domain.Migration;

/// <summary>
/// Applies a migration stream's vCPU, platform and device records to the parked target as they arrive, instead of
/// after End (docs/migration.md, "Destination"): the machine's state goes in as soon as every vCPU and the platform
/// have theirs, each device's as soon as its record is read, so the apply runs while the sender is still encoding and
/// sending the rest. Only the devices' completion (BAR moves; the kick per queue follows the run) waits for End, which also checks that
/// every device had a record. Nothing runs before End and the go either way: a stream that breaks after some state
/// was applied leaves a guest that never ran, and the caller discards it.
/// </summary>
/// <remarks>
/// The state records come after the last memory pages (a device activated on its state may start serving its queues
/// from guest memory), so a page record after the first state record is refused. Each step is timed
/// (<see cref="Profile"/>), for the receiver's log line: where the downtime's apply goes, device by device.
/// </remarks>
internal sealed class LiveStateApplier
{
    private readonly IRestoreTarget _target;
    private readonly RestoredStateRecords _records;
    private readonly DeviceStateRestore _devices;
    private readonly List<PendingDeviceState> _early = [];
    private readonly StringBuilder _profile = new();
    private readonly QueueKicksAfterRun _kicks = new();
    private bool _machineApplied;
    private bool _stateSeen;
    private bool _completed;
    private int _gen0, _gen1, _gen2;
    private TimeSpan _gcPause;
    private JitSnapshot _jit;

    public LiveStateApplier(IRestoreTarget target, string source)
    {
        ArgumentNullException.ThrowIfNull(target);
        _target = target;
        _records = new RestoredStateRecords(target.VcpuCount, source);
        _devices = target.DeviceStates.BeginRestore();
    }

    /// <summary>True once a vCPU, platform or device record has been taken: the stream's state part has begun.</summary>
    public bool StateSeen => _stateSeen;

    public int DeviceCount => _devices.RestoredCount + _early.Count;

    /// <summary>After the guest runs (or is left paused): the virtio functions' queue kicks that <see cref="Complete"/> left
    /// out of the window (<see cref="QueueKicksAfterRun"/>).</summary>
    public void KickQueues() => _kicks.Kick();

    /// <summary>"vCPU and platform +ms, ID +ms…, completed ID +ms…, GC …" once the state has been applied.</summary>
    public string Profile => _profile.ToString();

    /// <summary>Takes and applies a VcpuState, PlatformState or DeviceState record; false for any other type.</summary>
    public bool TryApply(SaveRecord record)
    {
        switch (record.Type)
        {
            case SaveRecordType.VcpuState:
            case SaveRecordType.PlatformState:
                BeginState();
                // Once applied, the machine's state is the stream's: a second copy could only disagree with it.
                if (_machineApplied) throw record.Error(0, "type", $"a {record.Type} record after the vCPU and platform state were applied");
                _records.TryTake(record);
                if (_records.IsMachineComplete) ApplyMachine();
                return true;
            case SaveRecordType.DeviceState:
                BeginState();
                // Devices go after the machine's state (a restored device may deliver an interrupt at once).
                if (!_machineApplied) _early.Add(new PendingDeviceState(record.DeviceId, record.DeviceState.ToArray(), record.Offset));
                else ApplyDevice(record);
                return true;
            default:
                return false;
        }
    }

    /// <summary>Refuses a record that may not follow the state records (memory pages: see the remarks).</summary>
    public void RequireBeforeState(SaveRecord record)
    {
        if (_stateSeen) throw record.Error(0, "type", $"a {record.Type} record after the vCPU, platform or device state");
    }

    /// <summary>At End: the machine's state must be complete, every device must have had its record; then every
    /// device finishes its restore (<see cref="IStatefulDevice.RestoreCompleted"/>), in the set's order.</summary>
    public void Complete()
    {
        if (_completed) throw new InvalidOperationException("the state was completed already");
        _completed = true;
        if (!_machineApplied)
        {
            _records.Complete(); // throws, naming what is missing
            ApplyMachine();
        }
        var set = _target.DeviceStates;
        try
        {
            // Apply refuses unknown and repeated ids, so equal counts mean every device had exactly one record;
            // otherwise DeviceStateRestore.Complete names the device without one.
            if (_devices.RestoredCount != set.Devices.Count) _devices.Complete();
        }
        catch (DeviceStateException e)
        {
            throw new DomainRestoreException($"{_records.Source}: {e.Message}", e);
        }
        _profile.Append(", completed");
        foreach (var device in set.Devices)
        {
            var steps = new RestoreProfile();
            bool kept;
            using (steps.Enter()) kept = _kicks.CompleteOrKeep(device);
            if (!kept) AppendTimed(device.StateId, steps);
        }
        if (_kicks.Count > 0) _profile.Append(" (").Append(_kicks.Count.ToString(CultureInfo.InvariantCulture)).Append(" virtio functions' queue kicks after the run)");
        Append($"; GC gen0/1/2 {GC.CollectionCount(0) - _gen0}/{GC.CollectionCount(1) - _gen1}/{GC.CollectionCount(2) - _gen2}, paused {(GC.GetTotalPauseDuration() - _gcPause).TotalMilliseconds:0.0}");
        // Code ReadyToRun did not cover is compiled inside the window, on whichever thread ran it first.
        _jit.AppendSince(_profile.Append("; "));
    }

    private void BeginState()
    {
        if (_stateSeen) return;
        _stateSeen = true;
        _gen0 = GC.CollectionCount(0);
        _gen1 = GC.CollectionCount(1);
        _gen2 = GC.CollectionCount(2);
        _gcPause = GC.GetTotalPauseDuration();
        _jit = JitSnapshot.Take();
    }

    private void ApplyMachine()
    {
        var steps = new RestoreProfile();
        using (steps.Enter()) _records.StartMachine(_target);
        _machineApplied = true;
        _profile.Append(steps.Summary("vCPU and platform")).Append(", devices");
        foreach (var pending in _early) ApplyDevice(pending.Id, pending.State, pending.Offset);
        _early.Clear();
    }

    private void ApplyDevice(SaveRecord record)
    {
        var steps = new RestoreProfile();
        using (steps.Enter()) record.ApplyDeviceState(_devices);
        AppendTimed(record.DeviceId, steps);
    }

    private void ApplyDevice(string id, byte[] state, long offset)
    {
        var steps = new RestoreProfile();
        try
        {
            using (steps.Enter()) _devices.Apply(id, state);
        }
        catch (DeviceStateException e)
        {
            throw new DomainRestoreException($"{_records.Source}: device state record at offset {offset} (0x{offset:x}): {e.Message}", e);
        }
        AppendTimed(id, steps);
    }

    private void AppendTimed(string id, RestoreProfile steps) => _profile.Append(' ').Append(steps.Summary(id));

    private void Append(FormattableString text) => _profile.Append(text.ToString(CultureInfo.InvariantCulture));
}
