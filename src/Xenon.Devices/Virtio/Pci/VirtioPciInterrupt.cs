using Xenon.Devices.Pci;
using Xenon.Devices.Pci.Msi;
using Xenon.Machine.Backend;

namespace Xenon.Devices.Virtio.Pci;

/// <summary>
/// Raises a virtio-pci device's interrupts: with MSI-X enabled, the vector the driver assigned to the queue
/// (or to configuration changes), none if it assigned none; otherwise INTx, whose level follows the ISR
/// (bit 0 used buffers, bit 1 configuration change) until the driver reads it.
/// </summary>
/// <remarks>Called on device threads while vCPU threads read the ISR and change the command register: the
/// ISR and line level are guarded by their own lock, never the transport's, so a device thread never waits
/// for a configuration access.</remarks>
internal sealed class VirtioPciInterrupt : IVirtioInterrupt
{
    public const byte IsrQueue = 0x01;
    public const byte IsrConfig = 0x02;

    private readonly object _lock = new();
    private readonly VirtioPciDevice _owner;
    private readonly MsiXCapability _msiX;
    private readonly PciConfigSpace _config;
    private readonly IIrqLine? _line;
    private byte _isr;
    private bool _lineHigh;

    public VirtioPciInterrupt(VirtioPciDevice owner, MsiXCapability msiX, PciConfigSpace config, IIrqLine? line)
    {
        _owner = owner;
        _msiX = msiX;
        _config = config;
        _line = line;
    }

    public byte Isr
    {
        get { lock (_lock) return _isr; }
    }

    public bool LineHigh
    {
        get { lock (_lock) return _lineHigh; }
    }

    public void SignalUsedBuffers(int queueIndex) => Raise(IsrQueue, _owner.QueueVector(queueIndex));

    public void SignalNeedsReset(string why)
    {
        _owner.MarkNeedsReset(why);
        SignalConfigChange();
    }

    public void SignalConfigChange() => Raise(IsrConfig, _owner.ConfigVector);

    /// <summary>The driver read the ISR: it clears, and the INTx line drops.</summary>
    public byte ReadAndClear()
    {
        lock (_lock)
        {
            byte value = _isr;
            _isr = 0;
            UpdateLineLocked();
            return value;
        }
    }

    /// <summary>MSI-X enable or the command register's interrupt-disable bit changed.</summary>
    public void UpdateLine()
    {
        lock (_lock) UpdateLineLocked();
    }

    public void Restore(byte isr)
    {
        lock (_lock)
        {
            _isr = (byte)(isr & (IsrQueue | IsrConfig));
            UpdateLineLocked();
        }
    }

    private void Raise(byte isrBit, ushort vector)
    {
        lock (_lock) _isr |= isrBit;
        if (_msiX.Enabled)
        {
            // With MSI-X on, an event without a vector raises nothing (virtio 1.x §4.1.5.3).
            if (vector != VirtioCommonCfg.NoVector) _msiX.Trigger(vector);
            UpdateLine();
            return;
        }
        UpdateLine();
    }

    private void UpdateLineLocked()
    {
        bool high = _isr != 0 && !_msiX.Enabled && (_config.Command & PciCommand.InterruptDisable) == 0;
        if (high == _lineHigh) return;
        _lineHigh = high;
        _line?.SetLevel(high);
    }
}
