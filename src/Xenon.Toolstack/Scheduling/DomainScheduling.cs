using Xenon.Kvm;
using Xenon.Toolstack.Domains;

namespace Xenon.Toolstack.Scheduling;

/// <summary>
/// Enforces a domain's <see cref="DomainPolicy"/> with the host's mechanisms: its process goes into its own CPU
/// cgroup (weight and cap), its vCPU threads get their hard affinity with sched_setaffinity. Errors come back as
/// messages (null: done), for the commands to print xl-style.
/// </summary>
public static class DomainScheduling
{
    public const string NoCgroupMessage =
        "no cgroup CPU controller is mounted (cgroup v1 \"cpu\" or cgroup2 with \"cpu\" in cgroup.controllers, e.g. mount -t cgroup2 none /sys/fs/cgroup)";

    /// <summary>Puts domain <paramref name="d"/>'s process in its cgroup with <paramref name="p"/> (made or reset), and removes
    /// groups left by domains that have ended.</summary>
    public static string? ApplyCgroup(ToolstackContext context, LiveDomain d, SchedParams p)
    {
        if (context.FindCgroup() is not { } cgroup) return NoCgroupMessage;
        try
        {
            // cpu and cpuset on one v1 hierarchy share the group, and v1 refuses a process in a cpuset with no CPUs.
            if (context.FindCpuset() is { } cpuset && cpuset.Root == cgroup.Root)
                cpuset.SetCpus(d.DomId, PoolOf(context, d).Cpus);
            cgroup.Attach(d.DomId, d.Pid, p);
            var live = new HashSet<int>();
            foreach (var other in new DomainRegistry(context).List()) live.Add(other.DomId);
            live.Add(d.DomId);
            cgroup.RemoveStale(live);
            context.FindCpuset()?.RemoveStale(live);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
    }

    /// <summary>Sets the hard affinity of vCPU <paramref name="vcpu"/> of process <paramref name="pid"/>, whose vCPU threads are
    /// <paramref name="threads"/>. A vCPU that has no thread (offline) is only recorded by the caller.</summary>
    public static string? Pin(IReadOnlyList<VcpuThreadInfo> threads, int vcpu, IReadOnlyList<int> cpus)
    {
        foreach (var t in threads)
        {
            if (t.Vcpu != vcpu || t.Tid == 0) continue;
            try
            {
                ThreadAffinity.Set(t.Tid, [.. cpus]);
                return null;
            }
            catch (KvmException e)
            {
                return e.Message;
            }
        }
        return null;
    }

    /// <summary>The cpupool domain <paramref name="d"/> is in (its policy's; Pool-0 if that pool is gone).</summary>
    public static CpuPool PoolOf(ToolstackContext context, LiveDomain d) => context.LoadPools().PoolOf(DomainPolicy.Load(d.Directory).Pool);

    /// <summary>
    /// Applies what xl.cfg asked of a new domain (cpu_weight, cap, cpus, pool) and records it as its policy. The vCPU
    /// threads appear as the domain's machine is built: this waits up to <paramref name="wait"/> for all
    /// <c>vcpus</c> of them. Returns warnings (the domain runs regardless, as xl does when placement fails).
    /// </summary>
    public static List<string> ApplyAtCreate(ToolstackContext context, LiveDomain d, int? weight, int? cap, IReadOnlyList<string?> affinity, TimeSpan wait,
        int pool = CpuPool.Pool0Id)
    {
        var warnings = new List<string>();
        var policy = new DomainPolicy { Weight = weight ?? SchedParams.DefaultWeight, Cap = cap ?? 0, HardAffinity = affinity, Pool = pool };
        policy.Save(d.Directory);
        // Every domain gets its group, so a later sched-credit only writes values, and a stale group of an earlier
        // domain with the same id is reset. Without a CPU controller only explicit settings are worth a warning.
        if (ApplyCgroup(context, d, policy.Sched) is { } problem && (weight is not null || cap is not null))
            warnings.Add($"cpu_weight/cap not applied: {problem}");
        var cpupool = context.LoadPools().PoolOf(pool);
        bool any = false;
        foreach (var a in affinity) any |= a is not null;
        if (!any && cpupool.Cpus.Count == context.NrCpus) return warnings;

        var deadline = DateTime.UtcNow + wait;
        while (VcpuThreadInfo.Read(d.Pid).Count < d.Spec.Vcpus && DateTime.UtcNow < deadline) Thread.Sleep(20);
        foreach (var w in PoolPlacement.Apply(context, d, policy, cpupool))
            warnings.Add($"cpus: {w}");
        return warnings;
    }

    /// <summary>
    /// xl.cfg <c>cpus</c>: a string applies to every vCPU up to maxvcpus; a list gives vCPU i the i-th entry (extra
    /// entries ignored, vCPUs beyond the list keep every CPU). Each entry is normalised to Linux's list form.
    /// Null with xl's message if an entry is malformed or names no CPU of this host.
    /// </summary>
    public static List<string?>? AffinityFromConfig(Config.ConfigValue? cpus, int maxVcpus, int hostCpus, out string? error)
    {
        error = null;
        var result = new List<string?>();
        if (cpus is null) return result;
        if (cpus.IsAtom)
        {
            if (Normalise(cpus.Text, hostCpus, out error) is not { } all) return null;
            for (int i = 0; i < maxVcpus; i++) result.Add(all);
            return result;
        }
        for (int i = 0; i < cpus.Items.Count && i < maxVcpus; i++)
        {
            var item = cpus.Items[i];
            if (!item.IsAtom)
            {
                error = $"cpus: entry {i + 1} is a list; expected a CPU list string such as \"0-3\"";
                return null;
            }
            if (Normalise(item.Text, hostCpus, out error) is not { } one) return null;
            result.Add(one);
        }
        return result;
    }

    /// <summary>Parses an xl CPU list into Linux's list form, limited to the host's CPUs; null (with why) if it
    /// names none of them.</summary>
    public static string? Normalise(string text, int hostCpus, out string? error)
    {
        if (CpuRange.Parse(text, hostCpus, out error) is not { } cpus) return null;
        var present = new List<int>();
        foreach (int c in cpus)
            if (c < hostCpus) present.Add(c);
        if (present.Count == 0)
        {
            error = $"\"{text}\" names no CPU of this host (it has CPUs 0-{hostCpus - 1})";
            return null;
        }
        return CpuRange.Format(present);
    }
}
