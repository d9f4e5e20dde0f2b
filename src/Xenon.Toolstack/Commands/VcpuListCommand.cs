using Xenon.Toolstack.Domains;
using Xenon.Toolstack.XenStore;

namespace Xenon.Toolstack.Commands;

/// <summary>
/// <c>xenon vcpu-list [DOMAIN...]</c>, as xl vcpu-list. A domain's vCPUs are the threads <c>vcpuN</c> of its
/// process: CPU is the host CPU the thread last ran on, State r (running now) or b (blocked), Time its CPU time,
/// hard affinity the thread's CPU mask ("all" when it is every host CPU); soft affinity is always "all".
/// vCPUs up to maxvcpus that are not online (the domain process's <c>vcpus</c> answer: vcpu-set and the guest's ACPI
/// CPU hotplug decide) show as "--p" with the hard affinity vcpu-pin recorded for them. Domain-0's vCPUs are the host CPUs.
/// </summary>
public static class VcpuListCommand
{
    public const string Usage = "Usage: xenon vcpu-list [Domain ...]";

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, ToolstackContext context)
    {
        var line = CommandSupport.Parse(args, [], "xenon vcpu-list", Usage, stderr);
        if (line is null) return CommandSupport.Failure;
        var registry = new DomainRegistry(context);
        var wanted = new List<LiveDomain?>();
        foreach (var arg in line.Operands)
        {
            if (CommandSupport.IsDom0(arg))
            {
                wanted.Add(null);
                continue;
            }
            if (CommandSupport.Find(registry, arg, stderr) is not { } d) return CommandSupport.Failure;
            wanted.Add(d);
        }
        if (line.Operands.Count == 0)
        {
            wanted.Add(null);
            foreach (var d in registry.List()) wanted.Add(d);
        }
        int hostCpus = HostInfo.Read().NrCpus;
        stdout.WriteLine(XlFormat.VcpuHeader);
        foreach (var d in wanted)
        {
            if (d is null) WriteDom0(stdout, hostCpus);
            else WriteDomain(stdout, d, VcpuThreadInfo.Read(d.Pid), hostCpus, OnlineVcpus(d));
        }
        return 0;
    }

    /// <summary>The vCPUs the domain process says are online; null if it does not answer (then every vCPU thread counts).</summary>
    public static HashSet<int>? OnlineVcpus(LiveDomain d)
    {
        if (ControlClient.Query(d.Directory, "vcpus", out _) is not { } reply) return null;
        if (!reply.TryGetProperty("online", out var list) || list.ValueKind != System.Text.Json.JsonValueKind.Array) return null;
        var online = new HashSet<int>();
        foreach (var item in list.EnumerateArray())
            if (item.ValueKind == System.Text.Json.JsonValueKind.Number && item.TryGetInt32(out int i)) online.Add(i);
        return online;
    }

    /// <summary>One row per vCPU up to the domain's maxvcpus.</summary>
    /// <param name="online">The online vCPUs; null: those with a thread.</param>
    public static void WriteDomain(TextWriter stdout, LiveDomain d, IReadOnlyList<VcpuThreadInfo> threads, int hostCpus, IReadOnlySet<int>? online = null)
    {
        var policy = Scheduling.DomainPolicy.Load(d.Directory);
        int count = Math.Max(d.Spec.EffectiveMaxVcpus, threads.Count);
        for (int i = 0; i < count; i++)
        {
            VcpuThreadInfo? t = null;
            foreach (var x in threads)
                if (x.Vcpu == i) t = x;
            if (t is null || (online is not null && !online.Contains(i)))
            {
                // An offline vCPU's thread only waits to be started: its recorded pin is what it will get.
                stdout.WriteLine(XlFormat.VcpuOfflineRow(d.Name, d.DomId, i, XlFormat.Affinity(policy.AffinityOf(i) ?? "", hostCpus), "all"));
                continue;
            }
            bool running = t.State == 'R';
            stdout.WriteLine(XlFormat.VcpuRow(d.Name, d.DomId, i, t.Cpu, running, !running, t.CpuSeconds,
                XlFormat.Affinity(t.Affinity, hostCpus), "all"));
        }
    }

    private static void WriteDom0(TextWriter stdout, int hostCpus)
    {
        var busy = DomainUsage.HostCpuSeconds();
        for (int i = 0; i < hostCpus; i++)
        {
            double seconds = i + 1 < busy.Count ? busy[i + 1] : 0;
            stdout.WriteLine(XlFormat.VcpuRow(Config.DomainName.Host, 0, i, i, running: true, blocked: false, seconds, XlFormat.Affinity($"{i}", hostCpus), "all"));
        }
    }
}
