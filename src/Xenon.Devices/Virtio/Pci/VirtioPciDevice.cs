using Xenon.Devices.Pci;
using Xenon.Devices.Pci.Msi;
using Xenon.Devices.Virtio.Queue;
using Xenon.Machine.Backend;
using Xenon.Machine.Memory;

namespace Xenon.Devices.Virtio.Pci;

/// <summary>
/// The virtio 1.x "modern" PCI transport (virtio 1.x §4.1) around one <see cref="IVirtioDevice"/>:
/// identity 1af4:(1040 + type), the vendor capabilities that locate the common, notify, ISR and device
/// areas in BAR 4, MSI-X (one vector per queue plus one for configuration) in BAR 1, INTx on pin A.
/// It owns feature negotiation, the status state machine and the queues' configuration, and hands the
/// queues to the device at DRIVER_OK.
/// </summary>
/// <remarks>Guest accesses (configuration space, BAR areas) are serialised by one lock; the device's
/// interrupts take a separate one (<see cref="VirtioPciInterrupt"/>). Guest writes of any size at any offset never throw.</remarks>
public sealed partial class VirtioPciDevice : PciDevice
{
    private readonly object _lock = new();
    private readonly IVirtioDevice _device;
    private readonly VirtQueue[] _queues;
    private readonly ushort[] _queueVectors;
    private readonly ulong _offeredFeatures;
    private readonly PciBarRouter _registers;
    private readonly VirtioPciInterrupt _interrupt;
    private Action<int>? _doorbell;

    public VirtioPciDevice(string name, IVirtioDevice device, GuestMemory memory, IMsiSink msiSink, IIrqLine? irqLine = null, QueueLimits? queueLimits = null)
        : this(name, CheckDevice(device), memory, msiSink, irqLine, queueLimits,
            new PciBarRouter(VirtioPciLayout.RegisterBarSize),
            new PciBarRouter(VirtioPciLayout.MsiXBarSize(VirtioPciLayout.VectorCount(device.QueueMaxSizes.Count))))
    {
    }

    private VirtioPciDevice(string name, IVirtioDevice device, GuestMemory memory, IMsiSink msiSink, IIrqLine? irqLine,
        QueueLimits? queueLimits, PciBarRouter registers, PciBarRouter msiXBar)
        : base(name, IdentityFor(device.DeviceType),
            [PciBar.Memory32(VirtioPciLayout.MsiXBar, msiXBar.Size, msiXBar), PciBar.Memory64(VirtioPciLayout.RegisterBar, registers.Size, registers)])
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(msiSink);
        _device = device;
        _registers = registers;
        _offeredFeatures = device.DeviceFeatures | VirtioTransportFeatures.Offered;

        int queueCount = device.QueueMaxSizes.Count;
        _queues = new VirtQueue[queueCount];
        for (int q = 0; q < queueCount; q++) _queues[q] = new VirtQueue(memory, device.QueueMaxSizes[q], queueLimits);
        _queueVectors = new ushort[queueCount];

        Config.SetInterruptPin(1);
        int vectors = VirtioPciLayout.VectorCount(queueCount);
        MsiX = new MsiXCapability(Config, vectors, VirtioPciLayout.MsiXBar, VirtioPciLayout.MsiXTableOffset,
            VirtioPciLayout.MsiXBar, VirtioPciLayout.MsiXPbaOffset(vectors), msiSink);
        msiXBar.Add(VirtioPciLayout.MsiXTableOffset, (ulong)MsiX.TableSize, MsiX.Table)
            .Add(VirtioPciLayout.MsiXPbaOffset(vectors), (ulong)MsiX.PbaSize, MsiX.Pba);

        registers.Add(VirtioPciLayout.CommonOffset, VirtioPciLayout.AreaSize, new CommonArea(this))
            .Add(VirtioPciLayout.IsrOffset, VirtioPciLayout.AreaSize, new IsrArea(this))
            .Add(VirtioPciLayout.DeviceOffset, VirtioPciLayout.AreaSize, new DeviceArea(this))
            .Add(VirtioPciLayout.NotifyOffset, VirtioPciLayout.AreaSize, new NotifyArea(this));
        AddCapabilities(Math.Max(queueCount, 1));

        _interrupt = new VirtioPciInterrupt(this, MsiX, Config, irqLine);
        ResetTransport();
    }

    public IVirtioDevice Device => _device;

    public MsiXCapability MsiX { get; }

    /// <summary>The queues the device is handed at DRIVER_OK (for tests and state).</summary>
    public IReadOnlyList<VirtQueue> Queues => _queues;

    /// <summary>The interrupt the device was (or will be) given at activation.</summary>
    public IVirtioInterrupt Interrupt => _interrupt;

    /// <summary>Features the transport offers: the device's, VERSION_1, INDIRECT_DESC and EVENT_IDX.</summary>
    public ulong OfferedFeatures => _offeredFeatures;

    /// <summary>The features the driver accepted (valid once FEATURES_OK is set).</summary>
    public ulong DriverFeatures
    {
        get { lock (_lock) return _driverFeatures; }
    }

    /// <summary>device_status as the driver reads it.</summary>
    public byte Status
    {
        get { lock (_lock) return StatusLocked; }
    }

    /// <summary>Why DEVICE_NEEDS_RESET was set (null if it is not).</summary>
    public string? NeedsResetReason => _needsResetReason;

    /// <summary>Offset, inside BAR <see cref="VirtioPciLayout.RegisterBar"/>, of queue <paramref name="queue"/>'s doorbell
    /// (where the machine may bind an ioeventfd; the driver writes 16 bits there).</summary>
    public ulong NotifyAddress(int queue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(queue);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(queue, _queues.Length);
        return VirtioPciLayout.NotifyOffset + (ulong)queue * VirtioPciLayout.NotifyOffMultiplier;
    }

    /// <summary>Routes doorbell writes that reach the notify area as plain MMIO (a width the machine's ioeventfds do not
    /// catch) to <paramref name="ring"/>, which must hand the kick to the device's I/O thread, so that the device
    /// is never driven from two threads. Without one, such writes are served on the writing vCPU's thread.</summary>
    public void SetDoorbell(Action<int> ring)
    {
        ArgumentNullException.ThrowIfNull(ring);
        _doorbell = ring;
    }

    /// <summary>The device's configuration changed (link state, balloon target): bump config_generation and raise the configuration interrupt.</summary>
    public void NotifyConfigChanged()
    {
        lock (_lock) _configGeneration++;
        _interrupt.SignalConfigChange();
    }

    public override void ReadConfig(int offset, Span<byte> data)
    {
        lock (_lock)
        {
            base.ReadConfig(offset, data);
            ReadPciCfgWindow(offset, data);
        }
    }

    public override void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            base.WriteConfig(offset, data);
            WritePciCfgWindow(offset, data);
        }
        // The command register's interrupt-disable bit and the MSI-X enable bit both gate INTx.
        _interrupt.UpdateLine();
    }

    /// <summary>Platform reset: configuration space, MSI-X, the device and every queue.</summary>
    public override void Reset()
    {
        lock (_lock)
        {
            base.Reset();
            _device.Reset();
            ResetTransport();
        }
    }

    internal ushort ConfigVector => Volatile.Read(ref _configVector);

    internal ushort QueueVector(int queue) =>
        (uint)queue < (uint)_queueVectors.Length ? Volatile.Read(ref _queueVectors[queue]) : VirtioCommonCfg.NoVector;

    internal void MarkNeedsReset(string why)
    {
        _needsResetReason ??= why;
        Volatile.Write(ref _needsReset, true);
    }

    private static IVirtioDevice CheckDevice(IVirtioDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(device.QueueMaxSizes);
        if (device.QueueMaxSizes.Count > VirtioPciLayout.MaxQueues)
            throw new ArgumentException($"{device.QueueMaxSizes.Count} queues; virtio-pci here supports at most {VirtioPciLayout.MaxQueues}", nameof(device));
        return device;
    }

    private static PciIdentity IdentityFor(ushort deviceType) => new(
        PciVendor.RedHat, (ushort)(0x1040 + deviceType), ClassFor(deviceType),
        Revision: 1, SubsystemVendorId: PciVendor.RedHat, SubsystemId: deviceType);

    /// <summary>The class codes QEMU gives its virtio-pci devices, so guests' device lists look familiar.</summary>
    private static uint ClassFor(ushort deviceType) => deviceType switch
    {
        1 => 0x020000,  // network controller, Ethernet
        2 => 0x018000,  // mass storage, other
        3 => 0x078000,  // communication, other (console)
        8 => 0x010000,  // mass storage, SCSI
        19 => 0x078000, // communication, other (vsock)
        _ => PciClass.Other,
    };
}
