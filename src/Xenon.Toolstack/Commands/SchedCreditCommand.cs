using System.Globalization;
using Xenon.Toolstack.Cli;
using Xenon.Toolstack.Domains;
using Xenon.Toolstack.Scheduling;

namespace Xenon.Toolstack.Commands;

/// <summary>
/// <c>xenon sched-credit</c> and <c>xenon sched-credit2</c> [-d DOMAIN [-w WEIGHT] [-c CAP]] [-p POOL] [-s], as xl:
/// without -w/-c they print xl's table (the pool line, then Name/ID/Weight/Cap rows), with them they set the
/// domain's weight and cap. Both schedulers mean the same here: the host's CFS, with weight as the domain
/// cgroup's CPU weight and cap as its CFS bandwidth quota (docs/scheduling.md). The listing goes pool by pool.
/// </summary>
public static class SchedCreditCommand
{
    public const string Pool0 = "Pool-0";

    public static string Usage(bool credit2) => credit2
        ? "Usage: xenon sched-credit2 [-d <Domain> [-w[=WEIGHT]] [-c[=CAP]]] [-p CPUPOOL] [-s]"
        : "Usage: xenon sched-credit [-d <Domain> [-w[=WEIGHT]] [-c[=CAP]]] [-p CPUPOOL] [-s]";

    /// <summary>xl's pool line. The values are Xen's defaults, shown for xl's layout: CFS has no such knobs here.</summary>
    public static string PoolLine(bool credit2, string pool = Pool0) => credit2
        ? $"Cpupool {pool}: ratelimit=1000us"
        : $"Cpupool {pool}: tslice=30ms ratelimit=1000us migration-delay=0us";

    /// <summary>xl's header: <c>"%-33s %4s %6s %4s"</c>.</summary>
    public static readonly string Header = $"{"Name",-33} {"ID",4} {"Weight",6} {"Cap",4}";

    /// <summary>xl's row: <c>"%-33s %4d %6d %4d"</c>.</summary>
    public static string Row(string name, int domId, int weight, int cap) => $"{name,-33} {domId,4} {weight,6} {cap,4}";

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, ToolstackContext context, bool credit2)
    {
        string command = credit2 ? "xenon sched-credit2" : "xenon sched-credit";
        OptionSpec[] specs = credit2
            ? [new('d', "domain", "DOMAIN"), new('w', "weight", "WEIGHT"), new('c', "cap", "CAP"),
               new('s', "schedparam"), new('r', "ratelimit_us", "US"), new('p', "cpupool", "CPUPOOL")]
            : [new('d', "domain", "DOMAIN"), new('w', "weight", "WEIGHT"), new('c', "cap", "CAP"),
               new('s', "schedparam"), new('t', "tslice_ms", "MS"), new('r', "ratelimit_us", "US"),
               new('m', "migration_delay_us", "US"), new('p', "cpupool", "CPUPOOL")];
        var line = CommandSupport.Parse(args, specs, command, Usage(credit2), stderr);
        if (line is null) return CommandSupport.Failure;
        if (line.Operands.Count > 0)
        {
            stderr.WriteLine(Usage(credit2));
            return CommandSupport.Failure;
        }
        string? dom = line.Value('d'), pool = line.Value('p');
        bool setW = line.Has('w'), setC = line.Has('c'), schedParam = line.Has('s');
        bool poolParams = line.Has('t') || line.Has('r') || line.Has('m');
        if ((pool is not null || schedParam) && (dom is not null || setW || setC))
        {
            stderr.WriteLine("Specifying a cpupool or schedparam is not allowed with domain options.");
            return CommandSupport.Failure;
        }
        if (dom is null && (setW || setC))
        {
            stderr.WriteLine("Must specify a domain.");
            return CommandSupport.Failure;
        }
        if (!schedParam && poolParams)
        {
            stderr.WriteLine("Must specify schedparam to set schedule parameter values.");
            return CommandSupport.Failure;
        }
        var pools = context.LoadPools();
        Scheduling.CpuPool? onlyPool = null;
        if (pool is not null && (onlyPool = pools.Find(pool)) is null)
        {
            stderr.WriteLine($"unknown cpupool '{pool}'");
            return CommandSupport.Failure;
        }
        if (schedParam)
        {
            if (poolParams)
            {
                stderr.WriteLine($"{command}: the pool's parameters (timeslice, rate limit, migration delay) are not settable: " +
                    "the host's CFS schedules the domains (docs/scheduling.md)");
                return CommandSupport.Failure;
            }
            foreach (var p in pools.Pools)
                if (Shows(p, onlyPool, credit2)) stdout.WriteLine(PoolLine(credit2, p.Name));
            return 0;
        }

        var registry = new DomainRegistry(context);
        if (dom is null)
        {
            // As xl: each pool of this scheduler, its parameters, then its domains.
            var domains = registry.List();
            foreach (var p in pools.Pools)
            {
                if (!Shows(p, onlyPool, credit2)) continue;
                stdout.WriteLine(PoolLine(credit2, p.Name));
                stdout.WriteLine(Header);
                if (p.IsPool0) stdout.WriteLine(Row(Config.DomainName.Host, 0, SchedParams.DefaultWeight, 0));
                foreach (var d in domains)
                {
                    var policy = DomainPolicy.Load(d.Directory);
                    if (pools.PoolOf(policy.Pool).Id == p.Id) stdout.WriteLine(Row(d.Name, d.DomId, policy.Weight, policy.Cap));
                }
            }
            return 0;
        }

        bool dom0 = CommandSupport.IsDom0(dom);
        LiveDomain? domain = null;
        if (!dom0 && (domain = CommandSupport.Find(registry, dom, stderr)) is null) return CommandSupport.Failure;
        if (!setW && !setC)
        {
            stdout.WriteLine(Header);
            if (domain is null) stdout.WriteLine(Row(Config.DomainName.Host, 0, SchedParams.DefaultWeight, 0));
            else
            {
                var p = DomainPolicy.Load(domain.Directory);
                stdout.WriteLine(Row(domain.Name, domain.DomId, p.Weight, p.Cap));
            }
            return 0;
        }
        if (domain is null)
        {
            stderr.WriteLine($"{command}: Domain-0 is the host: its processes are not scheduled as a domain, so it has no weight or cap to set");
            return CommandSupport.Failure;
        }
        int? weight = null, cap = null;
        if (setW && (weight = ParseInt(line.Value('w'))) is null)
        {
            stderr.WriteLine($"{command}: invalid weight \"{line.Value('w')}\": expected a number from 1 to 65535");
            return CommandSupport.Failure;
        }
        if (setC && (cap = ParseInt(line.Value('c'))) is null)
        {
            stderr.WriteLine($"{command}: invalid cap \"{line.Value('c')}\": expected a percentage of one CPU (0: no cap)");
            return CommandSupport.Failure;
        }
        return Set(domain, weight, cap, stderr, context);
    }

    private static int Set(LiveDomain d, int? weight, int? cap, TextWriter stderr, ToolstackContext context)
    {
        using (DomIdAllocator.LockRegistry(context.RunRoot))
        {
            var policy = DomainPolicy.Load(d.Directory);
            policy = policy with { Weight = weight ?? policy.Weight, Cap = cap ?? policy.Cap };
            string? problem = SchedParams.Validate(policy.Weight, policy.Cap, d.Spec.EffectiveMaxVcpus)
                ?? DomainScheduling.ApplyCgroup(context, d, policy.Sched);
            if (problem is not null)
            {
                stderr.WriteLine($"xenon: Domain {d.DomId}: {problem}");
                stderr.WriteLine("Setting the domain's scheduling parameters failed.");
                return CommandSupport.Failure;
            }
            policy.Save(d.Directory);
        }
        return 0;
    }

    // xl lists the pools whose scheduler the command is for. Pool-0 is the host's own pool: both commands show it,
    // since both schedulers are the host's CFS here.
    private static bool Shows(Scheduling.CpuPool p, Scheduling.CpuPool? only, bool credit2) =>
        (only is null || only.Id == p.Id) && (p.IsPool0 || p.Scheduler == (credit2 ? "credit2" : "credit"));

    // xl takes strtol's value; a number that is not one is refused here rather than read as 0.
    private static int? ParseInt(string? text) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) ? v : null;
}
