using System.Globalization;

namespace Xenon.Toolstack.Commands;

/// <summary>The layouts of xl's tables (xl_list.c, xl_vcpu.c, xl_info.c printf formats), character for character.</summary>
public static class XlFormat
{
    public const string ListHeader = "Name                                        ID   Mem VCPUs\tState\tTime(s)";
    public const string ListVerboseHeader = "   UUID                            Reason-Code\tSecurity Label";

    /// <summary>xl list's row: <c>"%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f"</c>.</summary>
    public static string ListRow(string name, int domId, ulong memMiB, int vcpus, string state, double seconds) =>
        $"{name,-40} {domId,5} {memMiB,5} {vcpus,5}     {state}  {F1(seconds),8}";

    /// <summary>What xl list -c adds to the header.</summary>
    public const string ListPoolHeader = "         Cpupool";

    /// <summary>What xl list -c appends to a row: <c>"%16s"</c>, the domain's cpupool.</summary>
    public static string ListPoolSuffix(string pool) => $"{pool,16}";

    /// <summary>What xl list -v appends: the UUID, the shutdown reason code ("-" while running), the security label.</summary>
    public static string ListVerboseSuffix(Guid uuid) => $" {uuid:D} {"-",8} {"-",16}";

    /// <summary>xl's six state letters r b p s c d; we know running, blocked and paused.</summary>
    public static string StateLetters(bool running, bool blocked, bool paused = false) =>
        $"{(running ? 'r' : '-')}{(blocked ? 'b' : '-')}{(paused ? 'p' : '-')}---";

    public static readonly string VcpuHeader =
        $"{"Name",-32} {"ID",5} {"VCPU",5} {"CPU",5} {"State",5} {"Time(s)",9} Affinity (Hard / Soft)";

    /// <summary>xl vcpu-list's row: <c>"%-32s %5u %5u" + "%5u %3c%c- " + "%9.1f  " + hard " / " soft</c>.</summary>
    public static string VcpuRow(string name, int domId, int vcpu, int cpu, bool running, bool blocked, double seconds, string hard, string soft) =>
        $"{name,-32} {domId,5} {vcpu,5}{cpu,5} {(running ? 'r' : '-'),3}{(blocked ? 'b' : '-')}- {F1(seconds),9}  {hard} / {soft}";

    /// <summary>An offline vCPU's row (xl: CPU "-", state "--p").</summary>
    public static string VcpuOfflineRow(string name, int domId, int vcpu, string hard, string soft) =>
        $"{name,-32} {domId,5} {vcpu,5}{'-',5} {'-',3}-p {F1(0),9}  {hard} / {soft}";

    /// <summary>Affinity as xl prints a CPU bitmap: "all" when every host CPU is in it, else Linux's list form.</summary>
    public static string Affinity(string linuxList, int hostCpus)
    {
        if (linuxList.Length == 0) return "all";
        var set = ParseCpuList(linuxList);
        if (set is null) return linuxList;
        for (int i = 0; i < hostCpus; i++)
            if (!set.Contains(i)) return linuxList;
        return "all";
    }

    /// <summary>Parses "0-3,6" into a set; null if malformed.</summary>
    public static HashSet<int>? ParseCpuList(string list)
    {
        var set = new HashSet<int>();
        foreach (var part in list.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var range = part.Split('-');
            if (range.Length is < 1 or > 2) return null;
            if (!int.TryParse(range[0], NumberStyles.None, CultureInfo.InvariantCulture, out int lo)) return null;
            int hi = lo;
            if (range.Length == 2 && !int.TryParse(range[1], NumberStyles.None, CultureInfo.InvariantCulture, out hi)) return null;
            if (hi < lo || hi - lo > 65536) return null;
            for (int c = lo; c <= hi; c++) set.Add(c);
        }
        return set;
    }

    public static readonly string UptimeHeader = $"{"Name",-33} {"ID",4} Uptime";

    /// <summary>xl uptime's row: <c>"%-33s %4d %s"</c>.</summary>
    public static string UptimeRow(string name, int domId, ulong seconds) => $"{name,-33} {domId,4} {Uptime(seconds, shortMode: false)}";

    /// <summary>xl uptime -s: <c>" %s up %s, %s (%d)"</c> with the local time of day.</summary>
    public static string UptimeShortRow(DateTime now, string name, int domId, ulong seconds) =>
        $" {now:HH:mm:ss} up {Uptime(seconds, shortMode: true)}, {name} ({domId})";

    /// <summary>xl's uptime_to_string: "d days, hh:mm:ss" (short: without seconds).</summary>
    public static string Uptime(ulong uptime, bool shortMode)
    {
        ulong day = uptime / 86400, hour = uptime % 86400 / 3600, min = uptime % 3600 / 60, sec = uptime % 60;
        string days = day > 1 ? $"{day} days, " : day == 1 ? "1 day, " : "";
        return shortMode ? $"{days}{hour,2}:{min:00}" : $"{days}{hour,2}:{min:00}:{sec:00}";
    }

    /// <summary>xl info's line: <c>"%-23s: %s"</c>.</summary>
    public static string InfoLine(string key, string value) => $"{key,-23}: {value}";

    private static string F1(double v) => v.ToString("F1", CultureInfo.InvariantCulture);
}
