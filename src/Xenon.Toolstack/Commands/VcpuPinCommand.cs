using System.Globalization;
using Xenon.Toolstack.Cli;
using Xenon.Toolstack.Domains;
using Xenon.Toolstack.Scheduling;

namespace Xenon.Toolstack.Commands;

/// <summary>
/// <c>xenon vcpu-pin [-f] DOMAIN VCPU|all HARD [SOFT]</c>, as xl vcpu-pin: HARD (an xl CPU list, or "-" to leave
/// it) becomes the hard affinity of the vCPU's thread (sched_setaffinity) and is recorded in the domain's policy,
/// so a vCPU that is offline now gets it when listed and vcpu-list shows it. Linux has no soft affinity for
/// threads: SOFT may only be "-" or "all" (what every vCPU has). Within a cpupool the thread runs on the pin's CPUs
/// that are in the pool; a pin naming none of them is refused, as Xen does.
/// </summary>
public static class VcpuPinCommand
{
    public const string Usage = "Usage: xenon vcpu-pin [-f] <Domain> <VCPU|all> <Hard affinity|-> [Soft affinity|-]";

    public static int Run(IReadOnlyList<string> args, TextWriter stderr, ToolstackContext context)
    {
        var line = CommandSupport.Parse(args, [new OptionSpec('f', "force")], "xenon vcpu-pin", Usage, stderr);
        if (line is null) return CommandSupport.Failure;
        if (line.Operands.Count is < 3 or > 4)
        {
            stderr.WriteLine(Usage);
            return CommandSupport.Failure;
        }
        string dom = line.Operands[0], vcpuText = line.Operands[1], hard = line.Operands[2];
        string? soft = line.Operands.Count > 3 ? line.Operands[3] : null;
        int vcpu = -1;
        if (vcpuText != "all" && (!int.TryParse(vcpuText, NumberStyles.None, CultureInfo.InvariantCulture, out vcpu)))
        {
            stderr.WriteLine($"Error: Invalid argument {vcpuText} as VCPU.");
            return CommandSupport.Failure;
        }
        if (vcpuText == "all" && line.Has('f'))
        {
            stderr.WriteLine("Error: --force and 'all' as VCPU not allowed.");
            return CommandSupport.Failure;
        }
        if (soft is not null && soft != "-" && soft != "all")
        {
            stderr.WriteLine("xenon vcpu-pin: soft affinity is not supported (Linux threads have only a hard affinity); give \"-\" or \"all\"");
            return CommandSupport.Failure;
        }
        if (CommandSupport.IsDom0(dom))
        {
            stderr.WriteLine("xenon vcpu-pin: Domain-0's vCPUs are the host's CPUs; they cannot be pinned");
            return CommandSupport.Failure;
        }
        if (CommandSupport.Find(new DomainRegistry(context), dom, stderr) is not { } d) return CommandSupport.Failure;
        if (hard == "-") return 0;

        int hostCpus = context.NrCpus;
        if (DomainScheduling.Normalise(hard, hostCpus, out string? error) is not { } cpus)
        {
            stderr.WriteLine(error);
            return CommandSupport.Failure;
        }
        int count = d.Spec.EffectiveMaxVcpus;
        if (vcpu >= count)
        {
            stderr.WriteLine($"xenon: Domain {d.DomId}: vcpu {vcpu} does not exist (the domain has vCPUs 0-{count - 1})");
            stderr.WriteLine($"Could not set affinity for vcpu `{vcpu}'.");
            return CommandSupport.Failure;
        }
        var list = CpuRange.Parse(cpus, hostCpus, out _)!;
        using (DomIdAllocator.LockRegistry(context.RunRoot))
        {
            var policy = DomainPolicy.Load(d.Directory);
            // As Xen: a hard affinity must name a CPU of the domain's cpupool; the vCPU runs where both allow.
            var pool = context.LoadPools().PoolOf(policy.Pool);
            if (!PoolPlacement.Intersects(list, pool.Cpus))
            {
                stderr.WriteLine($"xenon: Domain {d.DomId}: CPUs {cpus} are not in its cpupool {pool.Name} (CPUs {CpuRange.Format(pool.Cpus)})");
                stderr.WriteLine(vcpu < 0 ? "Could not set affinity." : $"Could not set affinity for vcpu `{vcpu}'.");
                return CommandSupport.Failure;
            }
            var effective = PoolPlacement.Effective(cpus, pool.Cpus);
            var threads = VcpuThreadInfo.Read(d.Pid);
            for (int v = vcpu < 0 ? 0 : vcpu; v < (vcpu < 0 ? count : vcpu + 1); v++)
            {
                if (DomainScheduling.Pin(threads, v, effective) is { } problem)
                {
                    stderr.WriteLine($"xenon: Domain {d.DomId}: vcpu {v}: {problem}");
                    stderr.WriteLine(vcpu < 0 ? "Could not set affinity." : $"Could not set affinity for vcpu `{v}'.");
                    return CommandSupport.Failure;
                }
                // "all" is the default: recorded as none, so a listing shows "all" whatever the host's size.
                policy = policy.WithAffinity(v, list.Count == hostCpus ? null : cpus);
            }
            policy.Save(d.Directory);
        }
        return 0;
    }
}
