namespace Xenon.Toolstack.Config;

/// <summary>One parsed <c>disk</c> entry of an xl.cfg (xl-disk-configuration(5)).</summary>
public sealed record XlDiskSpec
{
    /// <summary>The block device or image path as written (deprecated prefixes such as <c>file:</c> removed);
    /// empty only for an empty CD-ROM drive. Not resolved against any directory.</summary>
    public required string Target { get; init; }

    public required XlDiskSpecVdev Vdev { get; init; }

    /// <summary>The disk index the vdev names (xvda = 0, xvdb = 1, hdc = 2, d5 = 5).</summary>
    public int Index => Vdev.Disk;

    public bool ReadOnly { get; init; }

    public XlDiskFormat Format { get; init; } = XlDiskFormat.Raw;

    public XlDiskDeviceType DeviceType { get; init; } = XlDiskDeviceType.Disk;

    /// <summary><c>backendtype=</c> (phy, tap, qdisk, standalone), kept for the toolstack to interpret; null if absent.</summary>
    public string? BackendType { get; init; }

    /// <summary><c>backend=</c>: the driver domain to attach to; null means domain 0.</summary>
    public string? Backend { get; init; }

    /// <summary><c>script=</c> (or a deprecated <c>iscsi:</c>-style prefix as <c>block-iscsi</c>): the target is input to that script.</summary>
    public string? Script { get; init; }

    public bool DirectIoSafe { get; init; }

    /// <summary>Advertise discard to the guest (default on; <c>no-discard</c> turns it off).</summary>
    public bool Discard { get; init; } = true;

    /// <summary>Parses one disk spec. Throws <see cref="XlDiskSpecException"/> naming the spec and the faulty part.</summary>
    public static XlDiskSpec Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new XlDiskSpecParser(spec).Parse();
    }
}
