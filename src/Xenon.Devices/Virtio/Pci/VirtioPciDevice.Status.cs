using Xenon.Devices.Virtio.Queue;

namespace Xenon.Devices.Virtio.Pci;

/// <summary>The device_status state machine (virtio 1.x §3.1) and queue enabling.</summary>
public sealed partial class VirtioPciDevice
{
    private bool _activated;

    private void WriteStatus(byte value)
    {
        if (value == 0)
        {
            _device.Reset();
            ResetTransport();
            return;
        }
        // The driver only adds bits; DEVICE_NEEDS_RESET is the device's to set.
        byte added = (byte)(value & ~_status & ~VirtioStatusBits.DeviceNeedsReset);
        if ((added & VirtioStatusBits.FeaturesOk) != 0 && !FeaturesAcceptable())
            added &= unchecked((byte)~VirtioStatusBits.FeaturesOk); // refused: reads back clear (§3.1.1 step 6)
        if ((added & VirtioStatusBits.DriverOk) != 0 && ((_status | added) & VirtioStatusBits.FeaturesOk) == 0)
            added &= unchecked((byte)~VirtioStatusBits.DriverOk);
        _status |= added;
        if ((added & VirtioStatusBits.DriverOk) != 0 && !_activated)
        {
            _activated = true;
            _device.Activate(_driverFeatures, _queues, _interrupt);
        }
    }

    /// <summary>Only offered features, and VERSION_1: a driver without it is a legacy driver, which this transport does not serve.</summary>
    private bool FeaturesAcceptable() =>
        (_driverFeatures & ~_offeredFeatures) == 0 && (_driverFeatures & VirtioTransportFeatures.Version1) != 0;

    private void EnableQueue(VirtQueue queue)
    {
        queue.EventIdx = (_driverFeatures & VirtioTransportFeatures.EventIdx) != 0;
        queue.IndirectDescriptors = (_driverFeatures & VirtioTransportFeatures.IndirectDescriptors) != 0;
        if (queue.TryEnable(out var fault)) return;
        _interrupt.SignalNeedsReset($"queue {_queueSelect} cannot be enabled: {fault.Describe()}");
    }

    /// <summary>The state after reset: no features, status 0, every queue disabled, no vectors, ISR clear.</summary>
    private void ResetTransport()
    {
        foreach (var q in _queues) q.Reset();
        Array.Fill(_queueVectors, VirtioCommonCfg.NoVector);
        _configVector = VirtioCommonCfg.NoVector;
        _deviceFeatureSelect = _driverFeatureSelect = 0;
        _driverFeatures = 0;
        _queueSelect = 0;
        _status = 0;
        _activated = false;
        _needsResetReason = null;
        Volatile.Write(ref _needsReset, false);
        _interrupt.Restore(0);
    }

    /// <summary>Serves a kick of queue <paramref name="queue"/>: the device processes it if the driver is running and the queue
    /// is enabled. The machine calls this on the device's I/O thread when the queue's doorbell (ioeventfd) fires.</summary>
    public void NotifyQueue(int queue)
    {
        lock (_lock)
        {
            if ((_status & VirtioStatusBits.DriverOk) == 0 || (uint)queue >= (uint)_queues.Length || !_queues[queue].Ready) return;
            _device.QueueNotify(queue);
        }
    }
}
