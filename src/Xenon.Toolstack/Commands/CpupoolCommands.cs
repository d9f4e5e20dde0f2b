using Xenon.Toolstack.Cli;
using Xenon.Toolstack.Config;
using Xenon.Toolstack.Domains;
using Xenon.Toolstack.Scheduling;

namespace Xenon.Toolstack.Commands;

/// <summary>
/// xl's cpupool commands: cpupool-list, -create, -destroy, -rename, -cpu-add, -cpu-remove, -migrate, with xl's
/// arguments, tables and messages. The pools live in cpupools.json (<see cref="CpuPoolTable"/>); every change is
/// made under the registry lock and then enforced on the domains it concerns (<see cref="PoolPlacement"/>); create, destroy
/// and rename are mirrored in XenStore's /local/pool/ID/name.
/// </summary>
public static class CpupoolCommands
{
    public const string ListUsage = "Usage: xenon cpupool-list [-c|--cpus] [<CPU Pool>]";
    public const string CreateUsage = "Usage: xenon cpupool-create [-n] [-f] [ConfigFile] [Variable=Value ...]";
    public const string DestroyUsage = "Usage: xenon cpupool-destroy <CPU Pool>";
    public const string RenameUsage = "Usage: xenon cpupool-rename <CPU Pool> <new name>";
    public const string CpuAddUsage = "Usage: xenon cpupool-cpu-add <CPU Pool> <CPU nr>[,<CPU nr>...]|node:<node nr>";
    public const string CpuRemoveUsage = "Usage: xenon cpupool-cpu-remove <CPU Pool> <CPU nr>[,<CPU nr>...]|node:<node nr>";
    public const string MigrateUsage = "Usage: xenon cpupool-migrate <Domain> <CPU Pool>";

    /// <summary>xl cpupool-list's header: <c>"%-19s"</c> Name, then the CPU list or the counts.</summary>
    public static string ListHeader(bool cpus) => $"{"Name",-19}" + (cpus ? "CPU list" : "CPUs   Sched     Active   Domain count");

    /// <summary>xl cpupool-list's row: <c>"%-19s"</c> + <c>"%3d %9s       y       %4d"</c>, or the CPUs comma-separated.</summary>
    public static string ListRow(CpuPool pool, int domains, bool cpus) => cpus
        ? $"{pool.Name,-19}{string.Join(',', pool.Cpus)}"
        : $"{pool.Name,-19}{pool.Cpus.Count,3} {pool.Scheduler,9}       y       {domains,4}";

    public static int List(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, ToolstackContext context)
    {
        var line = CommandSupport.Parse(args, [new OptionSpec('c', "cpus")], "xenon cpupool-list", ListUsage, stderr);
        if (line is null) return CommandSupport.Failure;
        if (line.Operands.Count > 1)
        {
            stderr.WriteLine(ListUsage);
            return CommandSupport.Failure;
        }
        var table = context.LoadPools();
        CpuPool? only = null;
        if (line.Operands.Count == 1 && (only = table.Find(line.Operands[0])) is null)
        {
            stderr.WriteLine($"Pool '{line.Operands[0]}' does not exist");
            return CommandSupport.Failure;
        }
        bool cpus = line.Has('c');
        var counts = DomainCounts(context, table);
        stdout.WriteLine(ListHeader(cpus));
        foreach (var p in table.Pools)
            if (only is null || only.Id == p.Id) stdout.WriteLine(ListRow(p, counts[p.Id], cpus));
        return 0;
    }

    public static int Create(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, ToolstackContext context)
    {
        var line = CommandSupport.Parse(args, [new OptionSpec('f', "defconfig", "FILE"), new OptionSpec('n', "dryrun")],
            "xenon cpupool-create", CreateUsage, stderr);
        if (line is null) return CommandSupport.Failure;
        string? file = line.Value('f');
        var overrides = new List<string>();
        foreach (var o in line.Operands)
        {
            if (o.Contains('=')) overrides.Add(o);
            else if (file is null) file = o;
            else
            {
                stderr.WriteLine(CreateUsage);
                return CommandSupport.Failure;
            }
        }
        XlConfig config;
        try
        {
            config = file is null ? new XlConfig() : XlConfigParser.ParseFile(file);
            XlConfigParser.ApplyOverrides(config, overrides);
        }
        catch (ConfigException e)
        {
            stderr.WriteLine($"Failed to parse config file: {e.Message}");
            return CommandSupport.Failure;
        }
        int hostCpus = context.NrCpus;
        string source = file ?? "command line";
        using (DomIdAllocator.LockRegistry(context.RunRoot))
        {
            var table = context.LoadPools();
            if (ReadPoolConfig(config, file, table, hostCpus, stderr) is not { } wanted) return CommandSupport.Failure;
            var (name, sched, cpus) = wanted;
            if (table.Create(name, sched, cpus, hostCpus, out _) is { } problem)
            {
                stderr.WriteLine(problem);
                return CommandSupport.Failure;
            }
            stdout.WriteLine($"Using config file \"{source}\"");
            stdout.WriteLine($"cpupool name:   {name}");
            stdout.WriteLine($"scheduler:      {sched}");
            stdout.WriteLine($"number of cpus: {cpus.Count}");
            if (!line.Has('n')) table.Save(context.RunRoot);
        }
        if (!line.Has('n')) PublishPools(context);
        return 0;
    }

    /// <summary>libxl keeps /local/pool/ID/name for every pool: opening XenStore reconciles them with cpupools.json.</summary>
    private static void PublishPools(ToolstackContext context)
    {
        using (XenStore.XenStoreLauncher.Open(context, TextWriter.Null)) { }
    }

    // xl's keys: name (default: the file's base name), sched, then nodes= or cpus= (a list of CPU numbers, or a CPU
    // list string); each CPU must be free. Null with xl's message on stderr.
    private static (string Name, string Sched, List<int> Cpus)? ReadPoolConfig(XlConfig config, string? file, CpuPoolTable table, int hostCpus, TextWriter stderr)
    {
        try
        {
            string? name = config.GetString("name");
            if (name is null && file is not null) name = Path.GetFileName(file);
            if (string.IsNullOrEmpty(name))
            {
                stderr.WriteLine("Missing cpupool name!");
                return null;
            }
            if (table.Find(name) is not null)
            {
                stderr.WriteLine($"Pool name \"{name}\" already exists");
                return null;
            }
            string sched = config.GetString("sched") ?? CpuPoolTable.DefaultScheduler;
            if (!CpuPoolTable.IsScheduler(sched))
            {
                stderr.WriteLine("Unknown scheduler");
                if (sched is "rtds" or "arinc653" or "null") stderr.WriteLine($"xenon: the {sched} scheduler is not available: pools are scheduled by the host's CFS (credit or credit2 name it)");
                return null;
            }
            var free = table.FreeCpus(hostCpus);
            var cpus = new List<int>();
            if (config.Find("nodes") is { } nodes)
            {
                foreach (var item in nodes.Value.IsAtom ? [nodes.Value] : nodes.Value.Items)
                    if (item.Text == "0") cpus.AddRange(free);
                if (cpus.Count == 0)
                {
                    stderr.WriteLine("no free cpu found");
                    return null;
                }
            }
            else if (config.Find("cpus") is { } c)
            {
                IEnumerable<string> items = c.Value.IsAtom ? [c.Value.Text] : c.Value.Items.Select(i => i.Text);
                foreach (var text in items)
                {
                    if (CpuRange.Parse(text, hostCpus, out string? error) is not { } some)
                    {
                        stderr.WriteLine(error);
                        return null;
                    }
                    foreach (int cpu in some)
                    {
                        if (!free.Contains(cpu))
                        {
                            stderr.WriteLine($"cpu {cpu} illegal or not free");
                            return null;
                        }
                        if (!cpus.Contains(cpu)) cpus.Add(cpu);
                    }
                }
            }
            return (name, sched, cpus);
        }
        catch (ConfigException e)
        {
            stderr.WriteLine($"Failed to parse config file: {e.Message}");
            return null;
        }
    }

    public static int Destroy(IReadOnlyList<string> args, TextWriter stderr, ToolstackContext context)
    {
        if (Operands(args, 1, "xenon cpupool-destroy", DestroyUsage, stderr) is not { } ops) return CommandSupport.Failure;
        using (DomIdAllocator.LockRegistry(context.RunRoot))
        {
            var table = context.LoadPools();
            if (FindPool(table, ops[0], stderr) is not { } pool) return CommandSupport.Failure;
            if (table.Destroy(pool, DomainCounts(context, table)[pool.Id] - (pool.IsPool0 ? 1 : 0)) is { } why)
            {
                stderr.WriteLine($"xenon: {why}");
                stderr.WriteLine($"Can't destroy cpupool '{ops[0]}'");
                return CommandSupport.Failure;
            }
            table.Save(context.RunRoot);
        }
        PublishPools(context);
        return 0;
    }

    public static int Rename(IReadOnlyList<string> args, TextWriter stderr, ToolstackContext context)
    {
        if (Operands(args, 2, "xenon cpupool-rename", RenameUsage, stderr) is not { } ops) return CommandSupport.Failure;
        using (DomIdAllocator.LockRegistry(context.RunRoot))
        {
            var table = context.LoadPools();
            if (FindPool(table, ops[0], stderr) is not { } pool) return CommandSupport.Failure;
            if (table.Rename(pool, ops[1]) is { } why)
            {
                stderr.WriteLine($"xenon: {why}");
                stderr.WriteLine($"Can't rename cpupool '{ops[0]}'");
                return CommandSupport.Failure;
            }
            table.Save(context.RunRoot);
        }
        PublishPools(context);
        return 0;
    }

    public static int CpuAdd(IReadOnlyList<string> args, TextWriter stderr, ToolstackContext context) => ChangeCpus(args, stderr, context, add: true);

    public static int CpuRemove(IReadOnlyList<string> args, TextWriter stderr, ToolstackContext context) => ChangeCpus(args, stderr, context, add: false);

    private static int ChangeCpus(IReadOnlyList<string> args, TextWriter stderr, ToolstackContext context, bool add)
    {
        string command = add ? "xenon cpupool-cpu-add" : "xenon cpupool-cpu-remove";
        if (Operands(args, 2, command, add ? CpuAddUsage : CpuRemoveUsage, stderr) is not { } ops) return CommandSupport.Failure;
        int hostCpus = context.NrCpus;
        if (CpuRange.Parse(ops[1], hostCpus, out string? error) is not { } cpus)
        {
            stderr.WriteLine(error);
            return CommandSupport.Failure;
        }
        using (DomIdAllocator.LockRegistry(context.RunRoot))
        {
            var table = context.LoadPools();
            if (FindPool(table, ops[0], stderr) is not { } pool) return CommandSupport.Failure;
            var errors = add ? table.AddCpus(pool, cpus, hostCpus) : table.RemoveCpus(pool, cpus, DomainCounts(context, table)[pool.Id]);
            table.Save(context.RunRoot);
            foreach (var e in errors) stderr.WriteLine($"libxl: error: {e}");
            Enforce(context, table, table.PoolOf(pool.Id), stderr);
            if (errors.Count == 0) return 0;
            if (add) stderr.WriteLine($"some cpus may not have been added to {ops[0]}");
            else
            {
                stderr.WriteLine($"Some cpus may have not or only partially been removed from '{ops[0]}'.");
                stderr.WriteLine($"If a cpu can't be added to another cpupool, add it to '{ops[0]}' again and retry.");
            }
            return CommandSupport.Failure;
        }
    }

    public static int Migrate(IReadOnlyList<string> args, TextWriter stderr, ToolstackContext context)
    {
        if (Operands(args, 2, "xenon cpupool-migrate", MigrateUsage, stderr) is not { } ops) return CommandSupport.Failure;
        if (CommandSupport.IsDom0(ops[0]))
        {
            stderr.WriteLine("xenon: Domain-0 is the host: it stays in Pool-0");
            return CommandSupport.Failure;
        }
        if (new DomainRegistry(context).Find(ops[0]) is not { } d)
        {
            stderr.WriteLine($"unknown domain '{ops[0]}'");
            return CommandSupport.Failure;
        }
        using (DomIdAllocator.LockRegistry(context.RunRoot))
        {
            var table = context.LoadPools();
            if (FindPool(table, ops[1], stderr) is not { } pool) return CommandSupport.Failure;
            if (pool.Cpus.Count == 0)
            {
                stderr.WriteLine($"libxl: error: Domain {d.DomId}:Error moving domain to cpupool: Device or resource busy (cpupool {pool.Name} has no CPUs)");
                return CommandSupport.Failure;
            }
            var policy = DomainPolicy.Load(d.Directory) with { Pool = pool.Id };
            policy.Save(d.Directory);
            var problems = PoolPlacement.Apply(context, d, policy, pool);
            foreach (var p in problems) stderr.WriteLine($"libxl: error: Domain {d.DomId}:Error moving domain to cpupool: {p}");
            return problems.Count == 0 ? 0 : CommandSupport.Failure;
        }
    }

    /// <summary>Domains per pool id (Pool-0 counts Domain-0, as Xen's n_dom does); a domain whose pool has gone counts in Pool-0.</summary>
    public static Dictionary<int, int> DomainCounts(ToolstackContext context, CpuPoolTable table)
    {
        var counts = new Dictionary<int, int>();
        foreach (var p in table.Pools) counts[p.Id] = p.IsPool0 ? 1 : 0;
        foreach (var d in new DomainRegistry(context).List())
            counts[table.PoolOf(DomainPolicy.Load(d.Directory).Pool).Id]++;
        return counts;
    }

    /// <summary>The pool's name for a domain (list -c).</summary>
    public static string PoolNameOf(CpuPoolTable table, LiveDomain d) => table.PoolOf(DomainPolicy.Load(d.Directory).Pool).Name;

    // After a pool's CPUs change: each of its domains gets the new set (cpuset and vCPU masks).
    private static void Enforce(ToolstackContext context, CpuPoolTable table, CpuPool pool, TextWriter stderr)
    {
        if (pool.Cpus.Count == 0) return;
        foreach (var d in new DomainRegistry(context).List())
        {
            var policy = DomainPolicy.Load(d.Directory);
            if (table.PoolOf(policy.Pool).Id != pool.Id) continue;
            foreach (var p in PoolPlacement.Apply(context, d, policy, pool))
                stderr.WriteLine($"xenon: warning: domain {d.Name}: {p}");
        }
    }

    private static CpuPool? FindPool(CpuPoolTable table, string qualifier, TextWriter stderr)
    {
        if (table.Find(qualifier) is { } p) return p;
        stderr.WriteLine($"unknown cpupool '{qualifier}'");
        return null;
    }

    // These commands take no options (xl's SWITCH_FOREACH_OPT with none) and exactly N operands.
    private static IReadOnlyList<string>? Operands(IReadOnlyList<string> args, int count, string command, string usage, TextWriter stderr)
    {
        var line = CommandSupport.Parse(args, [], command, usage, stderr);
        if (line is null) return null;
        if (line.Operands.Count != count)
        {
            stderr.WriteLine(usage);
            return null;
        }
        return line.Operands;
    }
}
