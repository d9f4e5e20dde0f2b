using Xenon.Toolstack.Domains;

namespace Xenon.Toolstack.Scheduling;

/// <summary>
/// Keeps a domain on its cpupool's CPUs: its process in a cpuset group of the pool's CPUs (when the host has a
/// cpuset controller), and each vCPU thread's affinity its vcpu-pin intersected with the pool (the pool's CPUs when
/// unpinned or when the pin names none of them). The thread masks do the job on their own on a host without cpuset;
/// the cpuset adds the domain's other threads and the threads a restart makes.
/// </summary>
public static class PoolPlacement
{
    /// <summary>What vCPU thread affinity a pin (Linux list form, null: every CPU) becomes in a pool.</summary>
    public static List<int> Effective(string? pin, IReadOnlyList<int> poolCpus)
    {
        if (pin is null || XlCpuList(pin) is not { } pinned) return [.. poolCpus];
        var both = new List<int>();
        foreach (int c in poolCpus)
            if (pinned.Contains(c)) both.Add(c);
        return both.Count > 0 ? both : [.. poolCpus];
    }

    /// <summary>True if the pin names at least one of the pool's CPUs (Xen refuses a hard affinity outside the pool).</summary>
    public static bool Intersects(IReadOnlyList<int> pinned, IReadOnlyList<int> poolCpus)
    {
        foreach (int c in pinned)
            foreach (int p in poolCpus)
                if (c == p) return true;
        return false;
    }

    /// <summary>
    /// Puts domain <paramref name="d"/> in <paramref name="pool"/>: cpuset group (if there is a controller), then every
    /// vCPU thread's mask. Returns problems (empty: done). The caller records the pool in the domain's policy.
    /// </summary>
    public static List<string> Apply(ToolstackContext context, LiveDomain d, DomainPolicy policy, CpuPool pool)
    {
        var problems = new List<string>();
        if (pool.Cpus.Count == 0)
        {
            problems.Add($"cpupool {pool.Name} has no CPUs");
            return problems;
        }
        if (context.FindCpuset() is { } cpuset)
        {
            try
            {
                cpuset.Place(d.DomId, d.Pid, pool.Cpus);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problems.Add($"cpuset: {e.Message}");
            }
        }
        PinThreads(VcpuThreadInfo.Read(d.Pid), policy, pool, problems);
        return problems;
    }

    /// <summary>Sets every vCPU thread's mask to its pin within the pool.</summary>
    public static void PinThreads(IReadOnlyList<VcpuThreadInfo> threads, DomainPolicy policy, CpuPool pool, List<string> problems)
    {
        foreach (var t in threads)
        {
            if (DomainScheduling.Pin(threads, t.Vcpu, Effective(policy.AffinityOf(t.Vcpu), pool.Cpus)) is { } why)
                problems.Add($"vCPU {t.Vcpu}: {why}");
        }
    }

    private static HashSet<int>? XlCpuList(string list) => Commands.XlFormat.ParseCpuList(list);
}
