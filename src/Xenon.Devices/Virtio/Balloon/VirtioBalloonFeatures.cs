namespace Xenon.Devices.Virtio.Balloon;

/// <summary>virtio-balloon feature bits (virtio 1.x §5.5.3, Linux's include/uapi/linux/virtio_balloon.h).</summary>
public static class VirtioBalloonFeatures
{
    /// <summary>The driver must tell the device before reusing deflated pages (not offered: deflate needs no host action here).</summary>
    public const ulong MustTellHost = 1UL << 0;

    /// <summary>A statistics queue: the driver reports guest memory statistics when the device asks.</summary>
    public const ulong StatsVq = 1UL << 1;

    /// <summary>The guest deflates the balloon under memory pressure instead of going out of memory.</summary>
    public const ulong DeflateOnOom = 1UL << 2;

    /// <summary>Free page hinting for migration (not offered).</summary>
    public const ulong FreePageHint = 1UL << 3;

    /// <summary>poison_val is valid (not offered: Linux then turns reporting off if it poisons free pages).</summary>
    public const ulong PagePoison = 1UL << 4;

    /// <summary>Free page reporting: the guest hands ranges of free memory to the device, which releases them.</summary>
    public const ulong Reporting = 1UL << 5;

    // Ring features: VirtQueue implements both, so the device offers them.
    public const ulong RingIndirectDesc = 1UL << 28;
    public const ulong RingEventIdx = 1UL << 29;
}
