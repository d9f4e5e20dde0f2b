using Xenon.Devices.Virtio.Queue;

namespace Xenon.Devices.Virtio;

/// <summary>
/// A virtio device's own logic (blk, net, console, rng, balloon), independent of the transport
/// (virtio-pci today). The transport owns feature negotiation, status, the queues' configuration
/// and interrupts; it hands the device its queues once the driver sets DRIVER_OK.
/// </summary>
public interface IVirtioDevice
{
    /// <summary>The virtio device id (2 = block, 1 = net, 3 = console, 4 = entropy, 5 = balloon).</summary>
    ushort DeviceType { get; }

    /// <summary>Feature bits the device offers, including transport-independent ones it supports
    /// (VIRTIO_F_VERSION_1 is added by the transport).</summary>
    ulong DeviceFeatures { get; }

    /// <summary>Maximum size of each queue; the count is the number of queues.</summary>
    IReadOnlyList<ushort> QueueMaxSizes { get; }

    /// <summary>Device-specific configuration space (reads at <paramref name="offset"/>; out of range reads as zero).</summary>
    void ReadConfig(int offset, Span<byte> data);

    /// <summary>Driver writes to the device-specific configuration space (most devices ignore them).</summary>
    void WriteConfig(int offset, ReadOnlySpan<byte> data);

    /// <summary>The driver set DRIVER_OK: the device starts serving <paramref name="queues"/> with the negotiated
    /// <paramref name="features"/>; <paramref name="interrupt"/> tells the driver a queue has used buffers.</summary>
    void Activate(ulong features, IReadOnlyList<VirtQueue> queues, IVirtioInterrupt interrupt);

    /// <summary>The driver kicked queue <paramref name="queueIndex"/> (a notification write or its ioeventfd).
    /// Called on a device I/O thread, never concurrently for the same device.</summary>
    void QueueNotify(int queueIndex);

    /// <summary>The driver reset the device (status 0): stop using the queues, drop in-flight state.</summary>
    void Reset();
}

/// <summary>How a device raises its used-buffer interrupt for a queue (an MSI-X vector or INTx, chosen by the transport).</summary>
public interface IVirtioInterrupt
{
    void SignalUsedBuffers(int queueIndex);

    /// <summary>The device hit an error it cannot recover from: set DEVICE_NEEDS_RESET and raise a config interrupt.</summary>
    void SignalNeedsReset(string why);
}
