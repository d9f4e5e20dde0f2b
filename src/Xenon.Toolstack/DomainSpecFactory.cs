using Xenon.Domain;
using Xenon.Toolstack.Config;

namespace Xenon.Toolstack;

/// <summary>Turns a parsed xl.cfg into what the domain layer builds from (xl.cfg stays above this line).</summary>
public static class DomainSpecFactory
{
    public static DomainSpec FromConfig(DomainConfig c, int domId) => new()
    {
        Name = c.Name,
        Uuid = c.Uuid,
        DomId = domId,
        MemoryMiB = (ulong)c.MemoryMiB,
        MaxMemoryMiB = (ulong)c.MaxMemoryMiB,
        Vcpus = c.Vcpus,
        MaxVcpus = c.MaxVcpus,
        Kernel = c.Kernel,
        Ramdisk = c.Ramdisk,
        Cmdline = c.Cmdline ?? "",
        OnPowerOff = Map(c.OnPoweroff),
        OnReboot = Map(c.OnReboot),
        OnCrash = Map(c.OnCrash),
        Disks = MapDisks(c.Disks),
        Vifs = MapVifs(c.Vifs, domId),
        Channels = MapChannels(c.Channels),
        Rng = c.Rng,
        Accel = c.Accel,
    };

    private static ChannelSpec[] MapChannels(IReadOnlyList<XlChannelSpec> channels)
    {
        var specs = new ChannelSpec[channels.Count];
        for (int i = 0; i < specs.Length; i++) specs[i] = new ChannelSpec { Name = channels[i].Name, Path = channels[i].Path };
        return specs;
    }

    private static VifSpec[] MapVifs(IReadOnlyList<XlVifSpec> vifs, int domId)
    {
        var specs = new VifSpec[vifs.Count];
        for (int i = 0; i < specs.Length; i++)
        {
            var v = vifs[i];
            specs[i] = new VifSpec
            {
                DevId = i,
                Mac = XlVifSpec.FormatMac(v.Mac ?? XlVifSpec.RandomXenMac()),
                IfName = v.VifName ?? $"vif{domId}.{i}",
                Bridge = v.Bridge,
                Script = v.Script,
                Mtu = v.Mtu ?? 0,
                Ip = v.Ip,
            };
        }
        return specs;
    }

    private static DiskSpec[] MapDisks(IReadOnlyList<XlDiskSpec> disks)
    {
        var specs = new DiskSpec[disks.Count];
        for (int i = 0; i < specs.Length; i++)
        {
            var d = disks[i];
            // A CD-ROM is read-only whatever access= says (xl-disk-configuration).
            specs[i] = new DiskSpec
            {
                Path = d.Target, Vdev = d.Vdev.Name, ReadOnly = d.ReadOnly || d.DeviceType == XlDiskDeviceType.Cdrom,
                DirectIo = d.DirectIoSafe,
            };
        }
        return specs;
    }

    // The two enums list the same xl actions in the same order; spelled out so a reorder cannot slip through.
    private static LifecycleAction Map(ShutdownAction a) => a switch
    {
        ShutdownAction.Destroy => LifecycleAction.Destroy,
        ShutdownAction.Restart => LifecycleAction.Restart,
        ShutdownAction.RenameRestart => LifecycleAction.RenameRestart,
        ShutdownAction.Preserve => LifecycleAction.Preserve,
        ShutdownAction.CoredumpDestroy => LifecycleAction.CoredumpDestroy,
        ShutdownAction.CoredumpRestart => LifecycleAction.CoredumpRestart,
        ShutdownAction.SoftReset => LifecycleAction.SoftReset,
        _ => throw new ArgumentOutOfRangeException(nameof(a), a, null),
    };
}
