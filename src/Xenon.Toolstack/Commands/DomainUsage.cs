namespace Xenon.Toolstack.Commands;

/// <summary>CPU time and state of a domain, from its vCPU threads (what xl reads from the hypervisor).</summary>
internal static class DomainUsage
{
    /// <summary>Seconds all vCPU threads have run, and whether any is running now (else the domain is blocked).</summary>
    public static (double Seconds, bool Running) Of(Domains.LiveDomain d)
    {
        double seconds = 0;
        bool running = false;
        foreach (var t in Domains.VcpuThreadInfo.Read(d.Pid))
        {
            seconds += t.CpuSeconds;
            running |= t.State == 'R';
        }
        return (seconds, running);
    }

    /// <summary>The host's busy CPU time (all CPUs, from /proc/stat): Domain-0's Time(s).</summary>
    public static double HostBusySeconds()
    {
        var all = HostCpuSeconds();
        return all.Count > 0 ? all[0] : 0;
    }

    /// <summary>Busy seconds from /proc/stat: index 0 the "cpu" total, then cpu0, cpu1, …</summary>
    public static List<double> HostCpuSeconds()
    {
        try
        {
            return ParseProcStat(File.ReadAllText("/proc/stat"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>user+nice+system+irq+softirq of each cpu line, in seconds (USER_HZ = 100).</summary>
    public static List<double> ParseProcStat(string text)
    {
        var result = new List<double>();
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith("cpu", StringComparison.Ordinal)) continue;
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 8) continue;
            ulong busy = 0;
            foreach (int i in new[] { 1, 2, 3, 6, 7 })
                if (ulong.TryParse(f[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ulong v)) busy += v;
            result.Add(busy / Domains.VcpuThreadInfo.TicksPerSecond);
        }
        return result;
    }
}
