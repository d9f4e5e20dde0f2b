namespace Xenon.Devices.Virtio.Console;

/// <summary>virtio-console feature bits (virtio 1.x §5.3.3).</summary>
public static class VirtioConsoleFeatures
{
    /// <summary>cols/rows in the configuration space are valid (not offered: ports are byte streams here).</summary>
    public const ulong Size = 1UL << 0;

    /// <summary>Several ports, announced over the control queues, and max_nr_ports in the configuration space.</summary>
    public const ulong Multiport = 1UL << 1;

    /// <summary>emerg_wr in the configuration space (not offered).</summary>
    public const ulong EmergencyWrite = 1UL << 2;

    // Ring features: VirtQueue implements both, so the device offers them.
    public const ulong RingIndirectDesc = 1UL << 28;
    public const ulong RingEventIdx = 1UL << 29;
}
