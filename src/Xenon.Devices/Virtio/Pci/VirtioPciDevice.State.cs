using System.Buffers;
using Xenon.Devices.State;
using Xenon.Devices.Virtio.Queue;
using Xenon.Machine.State;

namespace Xenon.Devices.Virtio.Pci;

/// <summary>Save and restore of the transport's registers and queues, and of the whole function as one blob.</summary>
public sealed partial class VirtioPciDevice
{
    public VirtioPciState GetState()
    {
        lock (_lock)
        {
            var queues = new VirtQueueState[_queues.Length];
            for (int q = 0; q < queues.Length; q++) queues[q] = _queues[q].GetState();
            return new VirtioPciState(_status, Volatile.Read(ref _needsReset), _driverFeatures, _deviceFeatureSelect, _driverFeatureSelect,
                _queueSelect, _configVector, (ushort[])_queueVectors.Clone(), queues, _interrupt.Isr, _configGeneration);
        }
    }

    /// <summary>
    /// Restores a saved transport state. If the saved driver had set DRIVER_OK, the device is activated again with the
    /// restored queues (after its own state has been restored by its owner). Invalid input throws
    /// <see cref="ArgumentException"/> and leaves the transport reset.
    /// </summary>
    public void SetState(VirtioPciState state) => Restore(state, default, hasDeviceState: false);

    /// <summary>The function's configuration space, MSI-X table, transport and (if the model keeps any) device-model state, as kind "virtio-pci".</summary>
    public override int SaveState(IBufferWriter<byte> output)
    {
        byte[]? device = null;
        if (_device is IStateful stateful)
        {
            var buffer = new ArrayBufferWriter<byte>();
            stateful.SaveState(buffer);
            device = buffer.WrittenSpan.ToArray();
        }
        lock (_lock)
            return VirtioPciStateCodec.Write(output, new VirtioPciFunctionState(Config.GetState(), MsiX.GetState(), GetState(), device));
    }

    /// <summary>
    /// Restores the whole function: MSI-X table first (so the configuration write that follows delivers what is due),
    /// then configuration space, then the transport; the device model's own state is restored between the transport's
    /// reset and the device's activation. The domain must be paused.
    /// </summary>
    public override void RestoreState(ReadOnlySpan<byte> state)
    {
        var saved = VirtioPciStateCodec.Read(state);
        bool modelHasState = _device is IStateful;
        if (saved.Device is not null && !modelHasState)
            throw new DeviceStateException($"{VirtioPciStateCodec.Kind} state: it holds device-model state, but this function's device (type {_device.DeviceType}) keeps none");
        if (saved.Device is null && modelHasState)
            throw new DeviceStateException($"{VirtioPciStateCodec.Kind} state: it holds no device-model state, but this function's device (type {_device.DeviceType}) needs some");
        RestoreProfile.Mark("decode");
        StateApply.Apply(VirtioPciStateCodec.Kind, saved.MsiX, MsiX.SetState);
        RestoreProfile.Mark("msix");
        lock (_lock) StateApply.Apply(VirtioPciStateCodec.Kind, saved.Config, Config.SetState);
        RestoreProfile.Mark("config");
        try
        {
            Restore(saved.Transport, saved.Device, hasDeviceState: saved.Device is not null);
        }
        catch (ArgumentException e)
        {
            throw new DeviceStateException($"{VirtioPciStateCodec.Kind} state: {StateApply.MessageOf(e)}", e);
        }
        _interrupt.UpdateLine();
        RestoreProfile.Mark("intx");
    }

    /// <summary>
    /// Kicks every enabled queue of a running device once: a kick the guest sent before the save may have been taken
    /// from the old process's doorbell and never served, and a spurious kick costs one look at the avail ring. With a
    /// doorbell (<see cref="SetDoorbell"/>) the kick goes to the device's I/O thread; without one it is served here.
    /// </summary>
    public override void RestoreCompleted()
    {
        for (int q = 0; q < _queues.Length; q++)
        {
            bool ready;
            lock (_lock) ready = (_status & VirtioStatusBits.DriverOk) != 0 && _queues[q].Ready;
            if (!ready) continue;
            if (_doorbell is { } ring) ring(q);
            else NotifyQueue(q);
        }
    }

    private void Restore(VirtioPciState state, ReadOnlySpan<byte> deviceState, bool hasDeviceState)
    {
        Validate(state);
        lock (_lock)
        {
            if (_activated) _device.Reset();
            ResetTransport();
            try
            {
                for (int q = 0; q < _queues.Length; q++) _queues[q].SetState(state.Queues[q]);
                if (hasDeviceState) ((IStateful)_device).RestoreState(deviceState);
            }
            catch (ArgumentException)
            {
                ResetTransport();
                throw;
            }
            catch (DeviceStateException)
            {
                ResetTransport();
                throw;
            }
            for (int q = 0; q < _queues.Length; q++) _queueVectors[q] = CheckedVector(state.QueueVectors[q]);
            _configVector = CheckedVector(state.ConfigVector);
            _status = (byte)(state.Status & ~VirtioStatusBits.DeviceNeedsReset);
            _needsReset = state.NeedsReset;
            if (state.NeedsReset) _needsResetReason = "DEVICE_NEEDS_RESET was set when the domain was saved";
            _driverFeatures = state.DriverFeatures;
            _deviceFeatureSelect = state.DeviceFeatureSelect;
            _driverFeatureSelect = state.DriverFeatureSelect;
            _queueSelect = state.QueueSelect;
            _configGeneration = state.ConfigGeneration;
            _interrupt.Restore(state.Isr);
            RestoreProfile.Mark("queues+model");
            if ((_status & VirtioStatusBits.DriverOk) != 0)
            {
                _activated = true;
                _device.Activate(_driverFeatures, _queues, _interrupt);
                RestoreProfile.Mark("activate");
            }
        }
    }

    /// <summary>The checks that need no lock: shape, offered features, and a status the state machine could have reached.</summary>
    private void Validate(VirtioPciState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Queues is null || state.Queues.Length != _queues.Length || state.QueueVectors is null || state.QueueVectors.Length != _queues.Length)
            throw new ArgumentException($"saved virtio-pci state does not have {_queues.Length} queues", nameof(state));
        if ((state.DriverFeatures & ~_offeredFeatures) != 0)
            throw new ArgumentException($"saved features 0x{state.DriverFeatures:x} include some this device does not offer (0x{_offeredFeatures:x})", nameof(state));
        bool featuresOk = (state.Status & VirtioStatusBits.FeaturesOk) != 0;
        if ((state.Status & VirtioStatusBits.DriverOk) != 0 && !featuresOk)
            throw new ArgumentException($"saved status 0x{state.Status:x2} has DRIVER_OK without FEATURES_OK", nameof(state));
        if (featuresOk && (state.DriverFeatures & VirtioTransportFeatures.Version1) == 0)
            throw new ArgumentException($"saved status 0x{state.Status:x2} has FEATURES_OK for features 0x{state.DriverFeatures:x} without VERSION_1", nameof(state));
        bool eventIdx = (state.DriverFeatures & VirtioTransportFeatures.EventIdx) != 0;
        bool indirect = (state.DriverFeatures & VirtioTransportFeatures.IndirectDescriptors) != 0;
        for (int q = 0; q < state.Queues.Length; q++)
        {
            var queue = state.Queues[q] ?? throw new ArgumentException($"saved queue {q} is missing", nameof(state));
            // A driver can never have more chains in flight than the ring has entries.
            if (queue.Ready && (ushort)(queue.NextAvail - queue.NextUsed) > queue.Size)
                throw new ArgumentException(
                    $"saved queue {q} has {(ushort)(queue.NextAvail - queue.NextUsed)} chains in flight (next avail {queue.NextAvail}, next used {queue.NextUsed}), more than its {queue.Size} entries",
                    nameof(state));
            if (queue.Ready && (queue.EventIdx != eventIdx || queue.IndirectDescriptors != indirect))
                throw new ArgumentException($"saved queue {q} uses event idx {queue.EventIdx} / indirect {queue.IndirectDescriptors}, not what features 0x{state.DriverFeatures:x} negotiated", nameof(state));
        }
    }
}
