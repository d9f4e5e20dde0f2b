namespace Xenon.Toolstack.Config;

/// <summary>Image formats xl names. Only <see cref="Raw"/> is accepted for now; the parser rejects the others by name.</summary>
public enum XlDiskFormat
{
    Raw,
}

/// <summary>What the guest sees: a disk, or a (read-only, possibly empty) CD-ROM drive.</summary>
public enum XlDiskDeviceType
{
    Disk,
    Cdrom,
}

/// <summary>The nominal disk type of a vdev (xen-vbd-interface(7)): Xen virtual disk, SCSI or IDE.</summary>
public enum XlVdevBus
{
    Xvd,
    Scsi,
    Ide,
}
