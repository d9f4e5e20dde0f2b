using System.Text.Json.Serialization;

namespace Xenon.Domain;

/// <summary>What to do when a guest ends in a given way (xl's on_poweroff/on_reboot/on_crash).</summary>
public enum LifecycleAction
{
    Destroy,
    Restart,
    RenameRestart,
    Preserve,
    CoredumpDestroy,
    CoredumpRestart,
    SoftReset,
}

/// <summary>
/// Everything the domain layer needs to build and run one guest, already validated by the
/// toolstack. Plain data: it is what the toolstack hands a domain process (as JSON).
/// </summary>
public sealed record DomainSpec
{
    public required string Name { get; init; }
    public Guid Uuid { get; init; } = Guid.NewGuid();
    [JsonPropertyName("domid")]
    public int DomId { get; init; } = 1;
    [JsonPropertyName("memory_mib")]
    public required ulong MemoryMiB { get; init; }
    [JsonPropertyName("max_memory_mib")]
    public ulong MaxMemoryMiB { get; init; }
    public int Vcpus { get; init; } = 1;
    public int MaxVcpus { get; init; }
    public required string Kernel { get; init; }
    public string? Ramdisk { get; init; }
    public string Cmdline { get; init; } = "";
    public LifecycleAction OnPowerOff { get; init; } = LifecycleAction.Destroy;
    public LifecycleAction OnReboot { get; init; } = LifecycleAction.Restart;
    public LifecycleAction OnCrash { get; init; } = LifecycleAction.Destroy;

    /// <summary>Disks in the order the guest enumerates them (the first is /dev/vda).</summary>
    public IReadOnlyList<DiskSpec> Disks { get; init; } = [];

    /// <summary>Network interfaces, in DEVID order.</summary>
    public IReadOnlyList<VifSpec> Vifs { get; init; } = [];

    /// <summary>Named channels (virtio-console ports), in the order the guest numbers them.</summary>
    public IReadOnlyList<ChannelSpec> Channels { get; init; } = [];

    /// <summary>A virtio-rng device fed from the host's CSPRNG.</summary>
    public bool Rng { get; init; } = true;

    /// <summary>The CPU backend (xl.cfg <c>accel</c>): KVM, the software CPU, or the best this host has (auto).</summary>
    public Xenon.Machine.Backend.AccelMode Accel { get; init; } = Xenon.Machine.Backend.AccelMode.Auto;

    [JsonIgnore]
    public int EffectiveMaxVcpus => Math.Max(MaxVcpus, Vcpus);
}
