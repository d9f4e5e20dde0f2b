namespace Xenon.Toolstack.Config;

/// <summary>
/// A domain as an xl.cfg describes it, typed, defaulted and validated (see docs/xl-cfg.md).
/// Built by <see cref="DomainConfigReader"/>; the toolstack maps it to the domain layer's spec.
/// </summary>
public sealed class DomainConfig
{
    /// <summary>Where the configuration came from: the file path as given.</summary>
    public required string Source { get; init; }

    public required string Name { get; init; }

    public DomainType Type { get; init; } = DomainType.Pvh;

    public Guid Uuid { get; init; }

    /// <summary>True when no <c>uuid</c> was given and <see cref="Uuid"/> is a fresh random one.</summary>
    public bool UuidGenerated { get; init; }

    /// <summary>Initial memory, MiB (<c>memory</c>, default 128).</summary>
    public long MemoryMiB { get; init; } = DomainConfigReader.DefaultMemoryMiB;

    /// <summary>Most memory the domain may be given, MiB (<c>maxmem</c>, default <c>memory</c>).</summary>
    public long MaxMemoryMiB { get; init; } = DomainConfigReader.DefaultMemoryMiB;

    /// <summary>vCPUs online at boot (<c>vcpus</c>, default 1).</summary>
    public int Vcpus { get; init; } = 1;

    /// <summary>vCPUs the domain is built with (<c>maxvcpus</c>, default <c>vcpus</c>).</summary>
    public int MaxVcpus { get; init; } = 1;

    /// <summary>Absolute path of the kernel to direct-boot (bzImage or PVH ELF).</summary>
    public required string Kernel { get; init; }

    /// <summary>Absolute path of the initial ramdisk, if any.</summary>
    public string? Ramdisk { get; init; }

    /// <summary>Kernel command line: <c>cmdline</c>, else built from <c>root</c> and <c>extra</c>; null if none.</summary>
    public string? Cmdline { get; init; }

    public ShutdownAction OnPoweroff { get; init; } = ShutdownAction.Destroy;

    public ShutdownAction OnReboot { get; init; } = ShutdownAction.Restart;

    public ShutdownAction OnCrash { get; init; } = ShutdownAction.Destroy;

    /// <summary><c>disk</c> entries, parsed (xl-disk-configuration syntax), targets made absolute and checked, in vdev order.</summary>
    public IReadOnlyList<XlDiskSpec> Disks { get; init; } = [];

    /// <summary><c>vif</c> entries, parsed (xl-network-configuration syntax), in DEVID order, each with a MAC
    /// (generated in 00:16:3e when none was given, once, at config time).</summary>
    public IReadOnlyList<XlVifSpec> Vifs { get; init; } = [];

    /// <summary><c>channel</c> entries: named virtio-console ports with a Unix socket server on the host (paths absolute).</summary>
    public IReadOnlyList<XlChannelSpec> Channels { get; init; } = [];

    /// <summary><c>rng</c> (Xenon's key, default 1): a virtio-rng device fed from the host's CSPRNG.</summary>
    public bool Rng { get; init; } = true;

    /// <summary><c>accel</c> (Xenon's key, named after QEMU's -accel): the CPU backend, default auto (docs/xl-cfg.md).</summary>
    public Xenon.Machine.Backend.AccelMode Accel { get; init; } = Xenon.Machine.Backend.AccelMode.Auto;

    /// <summary><c>cpus</c> as written (a string like "0-3,^1" or a list of them), unparsed.</summary>
    public ConfigValue? Cpus { get; init; }

    public string? Pool { get; init; }

    /// <summary>Credit scheduler weight (<c>cpu_weight</c>), if given.</summary>
    public int? CpuWeight { get; init; }

    /// <summary>Credit scheduler cap in percent of one CPU (<c>cap</c>), if given; 0 = no cap.</summary>
    public int? Cap { get; init; }

    /// <summary>Warnings met while reading (unknown keys, ignored root/extra), for stderr.</summary>
    public IReadOnlyList<ConfigWarning> Warnings { get; init; } = [];

    /// <summary>The parsed settings this was read from, for keys later issues will interpret.</summary>
    public required XlConfig Settings { get; init; }

    public long MemoryKiB => MemoryMiB * 1024;

    public long MaxMemoryKiB => MaxMemoryMiB * 1024;
}
