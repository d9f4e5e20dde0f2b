using System.Globalization;
using System.Text.Json;
using Xenon.Toolstack.Commands;
using Xenon.Toolstack.Domains;
using Xenon.Toolstack.XenStore;

namespace Xenon.Toolstack.Top;

/// <summary>
/// Takes one <see cref="NodeSample"/> (what libxenstat's xenstat_get_node reads from the hypervisor): Domain-0 is
/// the host (its busy CPU time, its memory, no limit); each domain's CPU time is its vCPU threads' run time
/// (<c>/proc/PID/task/TID/schedstat</c>, nanoseconds), its state, memory and device counters come from its
/// process's <c>stats</c> control request.
/// </summary>
public static class TopSampler
{
    public static NodeSample Take(ToolstackContext context)
    {
        var host = HostInfo.Read();
        var domains = new List<DomainSample>
        {
            new()
            {
                Name = Config.DomainName.Host,
                DomId = 0,
                Running = true,
                CpuNs = (ulong)(DomainUsage.HostBusySeconds() * 1e9),
                CpuReadAt = DateTime.UtcNow,
                MemoryKiB = host.TotalMemoryKiB,
                MaxMemoryKiB = null,
                Vcpus = host.NrCpus,
            },
        };
        foreach (var d in new DomainRegistry(context).List()) domains.Add(Sample(d));
        return new NodeSample(DateTime.UtcNow, domains, host.TotalMemoryKiB, host.FreeMemoryKiB, host.NrCpus, host.CpuMhz);
    }

    public static DomainSample Sample(LiveDomain d)
    {
        var threads = VcpuThreadInfo.Read(d.Pid);
        var vcpuNs = new List<ulong>();
        ulong cpuNs = 0;
        bool running = false;
        foreach (var t in threads)
        {
            ulong ns = RunNanoseconds(d.Pid, t.Tid) ?? (ulong)(t.CpuSeconds * 1e9);
            while (vcpuNs.Count <= t.Vcpu) vcpuNs.Add(0);
            vcpuNs[t.Vcpu] = ns;
            cpuNs += ns;
            running |= t.State == 'R';
        }
        var cpuReadAt = DateTime.UtcNow;
        var sample = new DomainSample
        {
            Name = d.Name,
            DomId = d.DomId,
            Running = running,
            Blocked = !running,
            CpuNs = cpuNs,
            CpuReadAt = cpuReadAt,
            MemoryKiB = d.Spec.MemoryMiB * 1024,
            MaxMemoryKiB = Math.Max(d.Spec.MaxMemoryMiB, d.Spec.MemoryMiB) * 1024,
            Vcpus = d.Spec.Vcpus,
            VcpuNs = vcpuNs,
        };
        if (ControlClient.Query(d.Directory, "stats", out _) is not { } stats)
            return sample with { DeviceStatsKnown = false, Nets = new NetSample[d.Spec.Vifs.Count], Vbds = Unknown(d) };
        return Apply(sample, stats, d);
    }

    /// <summary>Fills a sample from a <c>stats</c> reply (docs/control-protocol.md); fields missing or of the wrong
    /// kind count as 0.</summary>
    public static DomainSample Apply(DomainSample sample, JsonElement stats, LiveDomain? d = null)
    {
        bool paused = Str(stats, "state") == "paused";
        var vbds = new List<VbdSample>();
        if (stats.TryGetProperty("vbds", out var vs) && vs.ValueKind == JsonValueKind.Array)
        {
            foreach (var v in vs.EnumerateArray())
            {
                if (v.ValueKind != JsonValueKind.Object) continue;
                vbds.Add(new VbdSample(DeviceNumber(Str(v, "vdev")), Num(v, "oo_reqs"), Num(v, "rd_reqs"), Num(v, "wr_reqs"), Num(v, "rd_sect"), Num(v, "wr_sect")));
            }
        }
        var nets = new List<NetSample>();
        if (stats.TryGetProperty("vifs", out var ns) && ns.ValueKind == JsonValueKind.Array)
        {
            foreach (var n in ns.EnumerateArray())
            {
                if (n.ValueKind != JsonValueKind.Object) continue;
                nets.Add(new NetSample(Num(n, "tx_bytes"), Num(n, "tx_packets"), Num(n, "tx_errors"), Num(n, "tx_drop"),
                    Num(n, "rx_bytes"), Num(n, "rx_packets"), Num(n, "rx_errors"), Num(n, "rx_drop")));
            }
        }
        return sample with
        {
            Paused = paused,
            Running = !paused && sample.Running,
            Blocked = !paused && !sample.Running,
            MemoryKiB = stats.TryGetProperty("memory_mib", out var m) && m.TryGetUInt64(out ulong mib) ? mib * 1024 : sample.MemoryKiB,
            MaxMemoryKiB = stats.TryGetProperty("max_memory_mib", out var x) && x.TryGetUInt64(out ulong max) ? max * 1024 : sample.MaxMemoryKiB,
            Vbds = vbds,
            Nets = nets,
        };
    }

    private static VbdSample[] Unknown(LiveDomain d)
    {
        var v = new VbdSample[d.Spec.Disks.Count];
        for (int i = 0; i < v.Length; i++) v[i] = new VbdSample(DeviceNumber(d.Spec.Disks[i].Vdev), 0, 0, 0, 0, 0);
        return v;
    }

    /// <summary>Xen's device number of a vdev (xvda → 51712), 0 if it is not one.</summary>
    public static int DeviceNumber(string? vdev) =>
        vdev is not null && Config.XlDiskSpecVdev.TryParse(vdev, out var parsed, out _) && parsed is not null ? parsed.XenDeviceNumber : 0;

    /// <summary>The first field of <c>/proc/PID/task/TID/schedstat</c>: nanoseconds on a CPU.</summary>
    public static ulong? RunNanoseconds(int pid, int tid)
    {
        if (tid == 0) return null;
        try
        {
            return ParseSchedstat(File.ReadAllText($"/proc/{pid}/task/{tid}/schedstat"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static ulong? ParseSchedstat(string text)
    {
        var first = text.AsSpan().Trim();
        int space = first.IndexOf(' ');
        if (space >= 0) first = first[..space];
        return ulong.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out ulong ns) ? ns : null;
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static ulong Num(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetUInt64(out ulong n) ? n : 0;
}
