using Xenon.Domain.Process;
using Xenon.Toolstack.Domains;

namespace Xenon.Toolstack.Scheduling;

/// <summary>
/// Pinning across restarts: a restart in place (on_reboot = "restart") builds new vCPU threads, which start with
/// the mask of the thread that made them. The domain process runs this as each incarnation starts, so its vCPU
/// threads get their recorded vcpu-pin within the domain's cpupool again. The first start of a created domain has
/// no policy.json yet: create applies xl.cfg's placement itself once the guest runs.
/// </summary>
public static class RestartPlacement
{
    /// <summary>How long the new vCPU threads may take to appear (they are started, and named, by the machine's Start).</summary>
    public static readonly TimeSpan ThreadWait = TimeSpan.FromSeconds(5);

    /// <param name="dir">The domain's runtime directory (its policy.json; the runtime root is two levels up).</param>
    /// <param name="pid">The domain process (this process).</param>
    /// <returns>What could not be applied (empty: done or nothing to do).</returns>
    public static List<string> Apply(DomainRuntimeDirectory dir, int pid, int vcpus, ToolstackContext? context = null)
    {
        var problems = new List<string>();
        if (!File.Exists(DomainPolicy.PathIn(dir))) return problems;
        var policy = DomainPolicy.Load(dir);
        context ??= ToolstackContext.FromEnvironment() with { RunRoot = RunRootOf(dir) };
        var pool = context.LoadPools().PoolOf(policy.Pool);
        if (pool.Cpus.Count == 0) return problems;
        var deadline = DateTime.UtcNow + ThreadWait;
        List<VcpuThreadInfo> threads;
        while ((threads = VcpuThreadInfo.Read(pid)).Count < vcpus && DateTime.UtcNow < deadline) Thread.Sleep(10);
        PoolPlacement.PinThreads(threads, policy, pool, problems);
        return problems;
    }

    /// <summary>RUN/domains/NAME → RUN.</summary>
    public static string RunRootOf(DomainRuntimeDirectory dir) =>
        Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(dir.Path))!) ?? DomainRuntimeDirectory.Root;
}
