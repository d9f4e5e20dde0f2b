using Xenon.Toolstack.Domains;
using Xenon.Toolstack.Scheduling;
using Xenon.Toolstack.XenStore;

namespace Xenon.Toolstack.Commands;

/// <summary>
/// <c>xenon mem-max DOMAIN MEM</c>, as xl mem-max: the domain's static maximum, the ceiling mem-set may not go
/// above. The guest's RAM is fixed when it is built (maxmem), so the ceiling can be lowered to the current target
/// and raised back up to maxmem, not beyond. Recorded in the domain's policy and in XenStore's memory/static-max.
/// </summary>
public static class MemMaxCommand
{
    public const string Usage = "Usage: xenon mem-max <Domain> <Mem>   (Mem in MiB, or with a suffix: 512m, 1g, 262144k)";

    public static int Run(IReadOnlyList<string> args, TextWriter stderr, ToolstackContext context)
    {
        var line = CommandSupport.Parse(args, [], "xenon mem-max", Usage, stderr);
        if (line is null) return CommandSupport.Failure;
        if (line.Operands.Count != 2)
        {
            stderr.WriteLine(Usage);
            return CommandSupport.Failure;
        }
        string dom = line.Operands[0], mem = line.Operands[1];
        if (DomainControlCommands.ParseMemoryMiB(mem) is not { } mib)
        {
            stderr.WriteLine($"invalid memory size: {mem}");
            return CommandSupport.Failure;
        }
        if (CommandSupport.IsDom0(dom))
        {
            stderr.WriteLine("xenon mem-max: Domain-0 is the host: its memory is not set here");
            return CommandSupport.Failure;
        }
        if (CommandSupport.Find(new DomainRegistry(context), dom, stderr) is not { } d) return CommandSupport.Failure;
        ulong ram = d.Spec.MaxMemoryMiB > 0 ? d.Spec.MaxMemoryMiB : d.Spec.MemoryMiB;
        ulong target = CurrentTargetMiB(d);
        string? problem = mib > ram
            ? $"{mib} MiB is more than the domain's RAM ({ram} MiB, its maxmem): RAM is fixed when the domain is built"
            : mib < target
                ? $"{mib} MiB is below the domain's memory target ({target} MiB); lower the target with mem-set first"
                : null;
        if (problem is not null)
        {
            stderr.WriteLine($"xenon: Domain {d.DomId}: {problem}");
            stderr.WriteLine($"cannot set domid {d.DomId} static max memory to : {mem}");
            return CommandSupport.Failure;
        }
        using (DomIdAllocator.LockRegistry(context.RunRoot))
        {
            var policy = DomainPolicy.Load(d.Directory);
            (policy with { MaxMemoryMiB = mib }).Save(d.Directory);
        }
        using var records = XenStoreLauncher.Open(context, stderr);
        try
        {
            records?.SetStaticMax(d.DomId, mib);
        }
        catch (XsClientException e)
        {
            stderr.WriteLine($"xenon: warning: XenStore not updated: {e.Message}");
        }
        return 0;
    }

    /// <summary>The balloon's target from the domain process; its configured memory if the process does not say.</summary>
    public static ulong CurrentTargetMiB(LiveDomain d)
    {
        if (ControlClient.Query(d.Directory, "info", out _) is { } info
            && info.TryGetProperty("target_mib", out var t) && t.ValueKind == System.Text.Json.JsonValueKind.Number && t.TryGetUInt64(out ulong mib))
            return mib;
        return d.Spec.MemoryMiB;
    }
}
