using System.Globalization;
using System.Text;

namespace Xenon.Toolstack.Scheduling;

/// <summary>
/// xl's CPU lists (xl vcpu-pin, xl.cfg <c>cpus=</c>): comma-separated items, each <c>all</c>, a CPU <c>N</c> or a
/// range <c>N-M</c>, optionally prefixed with <c>^</c> to take CPUs out again (items apply left to right, as xl's
/// parse_cpurange). <c>node:</c>/<c>nodes:</c> items name NUMA nodes; this host is one node (nr_nodes 1), so node 0
/// is every CPU and any other node is an error.
/// </summary>
public static class CpuRange
{
    /// <summary>CPUs named beyond this are refused (glibc's CPU_SETSIZE).</summary>
    public const int MaxCpus = Kvm.ThreadAffinity.MaxCpus;

    /// <summary>The CPUs <paramref name="text"/> names, ascending, given <paramref name="hostCpus"/> (what "all" means);
    /// null with xl's message in <paramref name="error"/> if malformed.</summary>
    public static List<int>? Parse(string text, int hostCpus, out string? error)
    {
        error = null;
        var set = new SortedSet<int>();
        if (text.Length == 0)
        {
            error = "Invalid pcpu range: .";
            return null;
        }
        foreach (var raw in text.Split(','))
        {
            var item = raw.AsSpan();
            bool remove = item.StartsWith("^");
            if (remove) item = item[1..];
            bool nodes = false;
            if (item.StartsWith("nodes:")) { item = item[6..]; nodes = true; }
            else if (item.StartsWith("node:")) { item = item[5..]; nodes = true; }
            if (item.SequenceEqual("all"))
            {
                if (remove)
                {
                    error = "Can't combine \"^\" and \"all\".";
                    return null;
                }
                for (int c = 0; c < hostCpus; c++) set.Add(c);
                continue;
            }
            if (!TryRange(item, out int lo, out int hi))
            {
                error = $"Invalid pcpu range: {raw}.";
                return null;
            }
            if (nodes)
            {
                if (lo != 0 || hi != 0)
                {
                    error = $"Invalid node range: {raw} (this host has one NUMA node, node 0).";
                    return null;
                }
                lo = 0;
                hi = hostCpus - 1;
            }
            if (hi >= MaxCpus)
            {
                error = $"Invalid pcpu range: {raw} (CPU numbers go up to {MaxCpus - 1}).";
                return null;
            }
            for (int c = lo; c <= hi; c++)
            {
                if (remove) set.Remove(c);
                else set.Add(c);
            }
        }
        return [.. set];
    }

    // xl's parse_range: "N" or "N-M" with N <= M, nothing after.
    private static bool TryRange(ReadOnlySpan<char> item, out int lo, out int hi)
    {
        hi = 0;
        int dash = item.IndexOf('-');
        var first = dash < 0 ? item : item[..dash];
        if (!int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out lo)) return false;
        if (dash < 0)
        {
            hi = lo;
            return true;
        }
        return int.TryParse(item[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out hi) && hi >= lo;
    }

    /// <summary>Linux's list form of ascending CPU numbers: <c>0-3,6</c>; empty for none.</summary>
    public static string Format(IReadOnlyList<int> cpus)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < cpus.Count;)
        {
            int j = i;
            while (j + 1 < cpus.Count && cpus[j + 1] == cpus[j] + 1) j++;
            if (sb.Length > 0) sb.Append(',');
            sb.Append(cpus[i].ToString(CultureInfo.InvariantCulture));
            if (j > i) sb.Append('-').Append(cpus[j].ToString(CultureInfo.InvariantCulture));
            i = j + 1;
        }
        return sb.ToString();
    }
}
