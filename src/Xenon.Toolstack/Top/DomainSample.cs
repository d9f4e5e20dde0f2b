namespace Xenon.Toolstack.Top;

/// <summary>One VBD's counters as xentop shows them.</summary>
public readonly record struct VbdSample(int Device, ulong OutOfRequests, ulong ReadRequests, ulong WriteRequests, ulong ReadSectors, ulong WriteSectors);

/// <summary>One vif's counters, the guest's view (tx: what the guest sent).</summary>
public readonly record struct NetSample(ulong TxBytes, ulong TxPackets, ulong TxErrors, ulong TxDrop, ulong RxBytes, ulong RxPackets, ulong RxErrors, ulong RxDrop);

/// <summary>
/// What xentop shows of one domain at one moment (libxenstat's xenstat_domain): state flags, CPU time in
/// nanoseconds, memory in KiB (<see cref="MaxMemoryKiB"/> null: no limit, as Domain-0), vCPU times and the per-device
/// counters. <see cref="DeviceStatsKnown"/> is false when the domain process did not answer: the device columns then
/// show "-" as xentop does for a VBD it cannot read.
/// </summary>
public sealed record DomainSample
{
    public required string Name { get; init; }
    public required int DomId { get; init; }
    public bool Running { get; init; }
    public bool Blocked { get; init; }
    public bool Paused { get; init; }
    public ulong CpuNs { get; init; }

    /// <summary>When <see cref="CpuNs"/> was read. CPU(%) divides by the time between two such readings, not between
    /// two whole samples: a slow control-socket answer between them would otherwise count as CPU time.</summary>
    public DateTime CpuReadAt { get; init; }
    public ulong MemoryKiB { get; init; }
    public ulong? MaxMemoryKiB { get; init; }
    public int Vcpus { get; init; }
    public IReadOnlyList<ulong> VcpuNs { get; init; } = [];
    public IReadOnlyList<NetSample> Nets { get; init; } = [];
    public IReadOnlyList<VbdSample> Vbds { get; init; } = [];
    public bool DeviceStatsKnown { get; init; } = true;
}

/// <summary>The whole host at one moment (libxenstat's xenstat_node): its domains and memory, and when it was taken.</summary>
public sealed record NodeSample(DateTime Time, IReadOnlyList<DomainSample> Domains, ulong TotalMemoryKiB, ulong FreeMemoryKiB, int Cpus, string CpuMhz);
