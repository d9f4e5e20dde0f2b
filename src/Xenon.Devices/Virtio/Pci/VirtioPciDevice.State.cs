using Xenon.Devices.Virtio.Queue;

namespace Xenon.Devices.Virtio.Pci;

/// <summary>Save and restore of the transport's registers and queues.</summary>
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
    /// Restores a saved state. If the saved driver had set DRIVER_OK, the device is activated again with the
    /// restored queues (after its own state has been restored by its owner). Invalid input throws
    /// <see cref="ArgumentException"/> and leaves the transport reset.
    /// </summary>
    public void SetState(VirtioPciState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Queues is null || state.Queues.Length != _queues.Length || state.QueueVectors is null || state.QueueVectors.Length != _queues.Length)
            throw new ArgumentException($"saved virtio-pci state does not have {_queues.Length} queues", nameof(state));
        if ((state.DriverFeatures & ~_offeredFeatures) != 0)
            throw new ArgumentException($"saved features 0x{state.DriverFeatures:x} include some this device does not offer (0x{_offeredFeatures:x})", nameof(state));
        lock (_lock)
        {
            if (_activated) _device.Reset();
            ResetTransport();
            try
            {
                for (int q = 0; q < _queues.Length; q++) _queues[q].SetState(state.Queues[q]);
            }
            catch (ArgumentException)
            {
                ResetTransport();
                throw;
            }
            for (int q = 0; q < _queues.Length; q++) _queueVectors[q] = CheckedVector(state.QueueVectors[q]);
            _configVector = CheckedVector(state.ConfigVector);
            _status = (byte)(state.Status & ~VirtioStatusBits.DeviceNeedsReset);
            _needsReset = state.NeedsReset;
            _driverFeatures = state.DriverFeatures;
            _deviceFeatureSelect = state.DeviceFeatureSelect;
            _driverFeatureSelect = state.DriverFeatureSelect;
            _queueSelect = state.QueueSelect;
            _configGeneration = state.ConfigGeneration;
            _interrupt.Restore(state.Isr);
            if ((_status & VirtioStatusBits.DriverOk) != 0)
            {
                _activated = true;
                _device.Activate(_driverFeatures, _queues, _interrupt);
            }
        }
    }
}
