using Xenon.Domain.Process;
using Xenon.Store.Server;

namespace Xenon.Toolstack;

/// <summary>
/// Where the toolstack finds things: the runtime directories of domains (<c>XENON_RUN_DIR</c>, default
/// <c>/run/xenon</c>), domain logs (<c>XENON_LOG_DIR</c>, default <c>/var/log/xenon</c>) and xenstored's socket
/// (<c>XENSTORED_PATH</c>, as Xen's tools, default <c>/var/run/xenstored/socket</c>). Tests build their own.
/// </summary>
/// <param name="StartXenStore">Starts a detached xenstored listening on the socket path; null: never start one
/// (commands then work without XenStore).</param>
public sealed record ToolstackContext(string RunRoot, string LogDir, string XenStoreSocket, Action<string>? StartXenStore)
{
    public static ToolstackContext FromEnvironment() => new(
        DomainRuntimeDirectory.Root,
        Environment.GetEnvironmentVariable("XENON_LOG_DIR") is { Length: > 0 } l ? l : "/var/log/xenon",
        XenStoreSocketPath,
        XenStore.XenStoreLauncher.StartDetachedDaemon);

    /// <summary>XENSTORED_PATH if set (libxenstore's rule), else the default path.</summary>
    public static string XenStoreSocketPath =>
        Environment.GetEnvironmentVariable("XENSTORED_PATH") is { Length: > 0 } p ? p : XenStoreDaemon.DefaultSocketPath;

    /// <summary>The CPU controller the domains' cgroups live under; null: discovered from /proc/self/mountinfo
    /// (tests point it at a fake tree).</summary>
    public Scheduling.CpuCgroup? Cgroup { get; init; }

    public Scheduling.CpuCgroup? FindCgroup() => Cgroup ?? Scheduling.CgroupMounts.Discover();

    /// <summary>The cpuset controller the domains' pools are enforced with; null: discovered (tests point it at a fake tree).</summary>
    public Scheduling.CpusetCgroup? Cpuset { get; init; }

    /// <summary>No cpuset controller is used even if the host has one (tests that must not touch the host's).</summary>
    public bool NoCpuset { get; init; }

    /// <remarks>A context with a fake CPU cgroup and no cpuset gets none: a test never reaches the host's controller.</remarks>
    public Scheduling.CpusetCgroup? FindCpuset() =>
        NoCpuset ? null : Cpuset ?? (Cgroup is not null ? null : Scheduling.CgroupMounts.DiscoverCpuset());

    /// <summary>The host's CPU count; null: from /proc/cpuinfo (tests fix it).</summary>
    public int? HostCpus { get; init; }

    public int NrCpus => HostCpus ?? XenStore.HostInfo.Read().NrCpus;

    /// <summary>The cpupools (cpupools.json in the runtime root).</summary>
    public Scheduling.CpuPoolTable LoadPools() => Scheduling.CpuPoolTable.Load(RunRoot, NrCpus);

    public string DomainsDirectory => Path.Combine(RunRoot, "domains");

    public DomainRuntimeDirectory DirectoryFor(string name) => new(Path.Combine(DomainsDirectory, name));

    public string LogFileFor(string name) => Path.Combine(LogDir, $"{name}.log");
}
