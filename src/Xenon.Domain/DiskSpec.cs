namespace Xenon.Domain;

/// <summary>One virtual disk: a raw image file (or block device) the guest sees as a virtio-blk device.</summary>
public sealed record DiskSpec
{
    /// <summary>Absolute path of the raw image or block device.</summary>
    public required string Path { get; init; }

    /// <summary>The xl vdev (xvda, hdc…); also the virtio-blk serial, so the guest can tell its disks apart
    /// (/sys/block/vdX/serial).</summary>
    public required string Vdev { get; init; }

    public bool ReadOnly { get; init; }

    /// <summary>Bypass the host page cache where the file system allows it (xl's <c>direct-io-safe</c>; QEMU's cache=none).</summary>
    public bool DirectIo { get; init; }
}
