using System.Globalization;

namespace Xenon.Toolstack.Domains;

/// <summary>What Linux says about one vCPU thread of a domain process (<c>/proc/PID/task/TID</c>).</summary>
/// <param name="State">The thread's scheduler state letter (R running, S sleeping, D, T, …).</param>
/// <param name="Cpu">The host CPU it last ran on.</param>
/// <param name="CpuSeconds">User plus system time it has used.</param>
/// <param name="Affinity">Its CPU affinity as Linux's list form, e.g. <c>0-3</c> or <c>0,2</c>.</param>
public sealed record VcpuThreadInfo(int Vcpu, char State, int Cpu, double CpuSeconds, string Affinity)
{
    /// <summary>The thread's id (what sched_setaffinity takes); 0 when unknown.</summary>
    public int Tid { get; init; }

    /// <summary>Linux reports stat times in USER_HZ ticks, fixed at 100 per second on the x86 and arm64 ABIs.</summary>
    public const double TicksPerSecond = 100;

    /// <summary>The vCPU threads of process <paramref name="pid"/> (threads named <c>vcpuN</c>), by vCPU index.</summary>
    public static List<VcpuThreadInfo> Read(int pid, string procRoot = "/proc")
    {
        var result = new List<VcpuThreadInfo>();
        string tasks = Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture), "task");
        IEnumerable<string> dirs;
        try
        {
            dirs = Directory.EnumerateDirectories(tasks);
            foreach (var task in dirs)
            {
                try
                {
                    if (ParseVcpuName(File.ReadAllText(Path.Combine(task, "comm"))) is not { } vcpu) continue;
                    if (ParseStat(File.ReadAllText(Path.Combine(task, "stat"))) is not { } stat) continue;
                    string affinity = ParseAffinity(File.ReadAllText(Path.Combine(task, "status")));
                    int.TryParse(Path.GetFileName(task), NumberStyles.None, CultureInfo.InvariantCulture, out int tid);
                    result.Add(new VcpuThreadInfo(vcpu, stat.State, stat.Cpu, stat.CpuSeconds, affinity) { Tid = tid });
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // The thread ended while we looked: it is not a running vCPU.
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return result;
        }
        result.Sort((a, b) => a.Vcpu.CompareTo(b.Vcpu));
        return result;
    }

    /// <summary>"vcpu3\n" → 3; anything else → null.</summary>
    public static int? ParseVcpuName(string comm)
    {
        var name = comm.AsSpan().Trim();
        if (!name.StartsWith("vcpu", StringComparison.Ordinal)) return null;
        return int.TryParse(name[4..], NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : null;
    }

    /// <summary>
    /// Parses <c>/proc/.../stat</c>: the state letter (field 3), utime+stime (14, 15) and processor (39). The
    /// command name (field 2) may hold spaces and parentheses, so fields are counted after its last ')'.
    /// </summary>
    public static (char State, double CpuSeconds, int Cpu)? ParseStat(string stat)
    {
        int close = stat.LastIndexOf(')');
        if (close < 0) return null;
        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // fields[0] is field 3 (state); field k is fields[k - 3].
        if (fields.Length < 37 || fields[0].Length != 1) return null;
        if (!ulong.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out ulong utime)
            || !ulong.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out ulong stime)
            || !int.TryParse(fields[36], NumberStyles.None, CultureInfo.InvariantCulture, out int cpu))
            return null;
        return (fields[0][0], (utime + stime) / TicksPerSecond, cpu);
    }

    /// <summary>The Cpus_allowed_list line of <c>/proc/.../status</c>, or "" if absent.</summary>
    public static string ParseAffinity(string status)
    {
        foreach (var line in status.Split('\n'))
        {
            if (line.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal)) return line["Cpus_allowed_list:".Length..].Trim();
        }
        return "";
    }
}
