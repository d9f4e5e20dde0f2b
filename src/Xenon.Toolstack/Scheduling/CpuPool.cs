namespace Xenon.Toolstack.Scheduling;

/// <summary>
/// One cpupool (xl cpupool-*): a set of host CPUs that only its domains' vCPUs run on. <paramref name="Id"/> is
/// fixed for the pool's life (a rename keeps it; domains name their pool by it); Pool-0 is id 0.
/// <paramref name="Scheduler"/> is xl's name (<c>credit</c> or <c>credit2</c>): both are the host's CFS here, the
/// name is what the listings and sched-credit/sched-credit2 go by.
/// </summary>
public sealed record CpuPool(int Id, string Name, string Scheduler, IReadOnlyList<int> Cpus)
{
    public const int Pool0Id = 0;
    public const string Pool0Name = "Pool-0";

    public bool IsPool0 => Id == Pool0Id;

    public bool Has(int cpu)
    {
        foreach (int c in Cpus)
            if (c == cpu) return true;
        return false;
    }
}
