namespace Xenon.Devices.Virtio.Pci;

/// <summary>The common configuration structure: byte-granular access onto typed fields, so any access size at any offset works.</summary>
public sealed partial class VirtioPciDevice
{
    private uint _deviceFeatureSelect;
    private uint _driverFeatureSelect;
    private ulong _driverFeatures;
    private ushort _configVector;
    private ushort _queueSelect;
    private byte _status;
    private byte _configGeneration;
    private bool _needsReset;
    private string? _needsResetReason;

    private byte StatusLocked => (byte)(_status | (Volatile.Read(ref _needsReset) ? VirtioStatusBits.DeviceNeedsReset : 0));

    /// <summary>The queue queue_select names; null when it names none (its fields read zero, writes are dropped).</summary>
    private Queue.VirtQueue? SelectedQueue => _queueSelect < _queues.Length ? _queues[_queueSelect] : null;

    private void ReadCommon(ulong offset, Span<byte> data)
    {
        lock (_lock)
        {
            int i = 0;
            while (i < data.Length)
            {
                ulong o = offset + (ulong)i;
                if (!VirtioCommonCfg.FieldAt(o, out int start, out int width))
                {
                    data[i++] = 0;
                    continue;
                }
                ulong value = ReadField(start);
                for (; i < data.Length && offset + (ulong)i < (ulong)(start + width); i++)
                    data[i] = (byte)(value >> (int)(8 * (offset + (ulong)i - (ulong)start)));
            }
        }
    }

    private void WriteCommon(ulong offset, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            int i = 0;
            while (i < data.Length)
            {
                ulong o = offset + (ulong)i;
                if (!VirtioCommonCfg.FieldAt(o, out int start, out int width))
                {
                    i++;
                    continue;
                }
                // Merge the written bytes into the field's current value: a 32-bit half of a 64-bit address
                // keeps the other half, as on the 1.0 devices drivers are written against.
                ulong value = ReadField(start);
                for (; i < data.Length && offset + (ulong)i < (ulong)(start + width); i++)
                {
                    int shift = (int)(8 * (offset + (ulong)i - (ulong)start));
                    value = (value & ~(0xffUL << shift)) | ((ulong)data[i] << shift);
                }
                WriteField(start, value);
            }
        }
    }

    private ulong ReadField(int field)
    {
        var q = SelectedQueue;
        return field switch
        {
            VirtioCommonCfg.DeviceFeatureSelect => _deviceFeatureSelect,
            VirtioCommonCfg.DeviceFeature => FeatureWindow(_offeredFeatures, _deviceFeatureSelect),
            VirtioCommonCfg.DriverFeatureSelect => _driverFeatureSelect,
            VirtioCommonCfg.DriverFeature => FeatureWindow(_driverFeatures, _driverFeatureSelect),
            VirtioCommonCfg.MsixConfig => _configVector,
            VirtioCommonCfg.NumQueues => (ulong)_queues.Length,
            VirtioCommonCfg.DeviceStatus => StatusLocked,
            VirtioCommonCfg.ConfigGeneration => _configGeneration,
            VirtioCommonCfg.QueueSelect => _queueSelect,
            VirtioCommonCfg.QueueSize => q?.Size ?? 0,
            VirtioCommonCfg.QueueMsixVector => q is null ? 0UL : _queueVectors[_queueSelect],
            VirtioCommonCfg.QueueEnable => q is { Ready: true } ? 1UL : 0UL,
            VirtioCommonCfg.QueueNotifyOff => q is null ? 0UL : _queueSelect,
            VirtioCommonCfg.QueueDesc => q?.DescriptorTable ?? 0,
            VirtioCommonCfg.QueueDriver => q?.AvailRing ?? 0,
            VirtioCommonCfg.QueueDevice => q?.UsedRing ?? 0,
            _ => 0,
        };
    }

    private void WriteField(int field, ulong value)
    {
        var q = SelectedQueue;
        // A live queue's configuration is frozen (virtio 1.x §4.1.4.3.2); such writes are dropped.
        var idle = q is { Ready: false } ? q : null;
        switch (field)
        {
            case VirtioCommonCfg.DeviceFeatureSelect: _deviceFeatureSelect = (uint)value; break;
            case VirtioCommonCfg.DriverFeatureSelect: _driverFeatureSelect = (uint)value; break;
            case VirtioCommonCfg.DriverFeature: WriteDriverFeatures((uint)value); break;
            case VirtioCommonCfg.MsixConfig: Volatile.Write(ref _configVector, CheckedVector(value)); break;
            case VirtioCommonCfg.DeviceStatus: WriteStatus((byte)value); break;
            case VirtioCommonCfg.QueueSelect: _queueSelect = (ushort)value; break;
            case VirtioCommonCfg.QueueSize: if (idle is not null) idle.Size = (ushort)value; break;
            case VirtioCommonCfg.QueueMsixVector: if (q is not null) Volatile.Write(ref _queueVectors[_queueSelect], CheckedVector(value)); break;
            case VirtioCommonCfg.QueueEnable: if (idle is not null && (ushort)value == 1) EnableQueue(idle); break;
            case VirtioCommonCfg.QueueDesc: if (idle is not null) idle.DescriptorTable = value; break;
            case VirtioCommonCfg.QueueDriver: if (idle is not null) idle.AvailRing = value; break;
            case VirtioCommonCfg.QueueDevice: if (idle is not null) idle.UsedRing = value; break;
        }
    }

    private static ulong FeatureWindow(ulong features, uint select) => select switch
    {
        0 => (uint)features,
        1 => features >> 32,
        _ => 0,
    };

    private void WriteDriverFeatures(uint value)
    {
        // Once FEATURES_OK is set the negotiated set is fixed.
        if ((_status & VirtioStatusBits.FeaturesOk) != 0) return;
        _driverFeatures = _driverFeatureSelect switch
        {
            0 => (_driverFeatures & 0xffff_ffff_0000_0000) | value,
            1 => (_driverFeatures & 0xffff_ffff) | ((ulong)value << 32),
            _ => _driverFeatures,
        };
    }

    /// <summary>A vector the table does not have reads back as NO_VECTOR, which is how Linux learns the assignment failed.</summary>
    private ushort CheckedVector(ulong value) =>
        (ushort)value < MsiX.VectorCount ? (ushort)value : VirtioCommonCfg.NoVector;
}
