using System.Globalization;

namespace Xenon.Toolstack.XenStore;

/// <summary>The host facts xl info reports, read from /proc and /sys (Domain-0 is the host here).</summary>
public sealed record HostInfo
{
    public string Host { get; init; } = "";
    public string Release { get; init; } = "";
    public string Version { get; init; } = "";
    public string Machine { get; init; } = "";
    public int NrCpus { get; init; }
    public int NrNodes { get; init; } = 1;
    public int CoresPerSocket { get; init; }
    public int ThreadsPerCore { get; init; }
    public string CpuMhz { get; init; } = "0";
    public bool HardwareVirt { get; init; }
    public ulong TotalMemoryKiB { get; init; }
    public ulong FreeMemoryKiB { get; init; }

    public static HostInfo Read()
    {
        var info = FromProc(ReadOr("/proc/cpuinfo"), ReadOr("/proc/meminfo"));
        int nodes = Directory.Exists("/sys/devices/system/node")
            ? Directory.GetDirectories("/sys/devices/system/node", "node*").Length : 1;
        return info with
        {
            Host = Environment.MachineName,
            Release = ReadOr("/proc/sys/kernel/osrelease").Trim(),
            Version = ReadOr("/proc/sys/kernel/version").Trim(),
            Machine = System.Runtime.InteropServices.RuntimeInformation.OSArchitecture switch
            {
                System.Runtime.InteropServices.Architecture.X64 => "x86_64",
                System.Runtime.InteropServices.Architecture.Arm64 => "aarch64",
                var a => a.ToString().ToLowerInvariant(),
            },
            NrNodes = Math.Max(1, nodes),
        };
    }

    /// <summary><see cref="NrCpus"/> alone (what create needs): /proc/cpuinfo's processor entries, without the rest
    /// of <see cref="Read"/> (meminfo, NUMA nodes, kernel release and version).</summary>
    public static int ReadCpuCount() => FromProc(ReadOr("/proc/cpuinfo"), "").NrCpus;

    /// <summary>Parses /proc/cpuinfo and /proc/meminfo text (the testable part).</summary>
    public static HostInfo FromProc(string cpuinfo, string meminfo)
    {
        int processors = 0, siblings = 0, cores = 0;
        string mhz = "0";
        bool virt = false;
        foreach (var raw in cpuinfo.Split('\n'))
        {
            int colon = raw.IndexOf(':');
            if (colon < 0) continue;
            string key = raw[..colon].Trim(), value = raw[(colon + 1)..].Trim();
            switch (key)
            {
                case "processor": processors++; break;
                case "siblings" when siblings == 0: int.TryParse(value, CultureInfo.InvariantCulture, out siblings); break;
                case "cpu cores" when cores == 0: int.TryParse(value, CultureInfo.InvariantCulture, out cores); break;
                case "cpu MHz" when mhz == "0": mhz = value; break;
                case "flags" when !virt: virt = (" " + value + " ").Contains(" vmx ", StringComparison.Ordinal) || (" " + value + " ").Contains(" svm ", StringComparison.Ordinal); break;
            }
        }
        if (cores == 0) cores = Math.Max(1, processors);
        int threads = siblings > 0 && cores > 0 ? Math.Max(1, siblings / cores) : 1;
        return new HostInfo
        {
            NrCpus = Math.Max(1, processors),
            CoresPerSocket = cores,
            ThreadsPerCore = threads,
            CpuMhz = mhz,
            HardwareVirt = virt,
            TotalMemoryKiB = MeminfoKiB(meminfo, "MemTotal"),
            FreeMemoryKiB = MeminfoKiB(meminfo, "MemAvailable"),
        };
    }

    private static ulong MeminfoKiB(string meminfo, string key)
    {
        foreach (var line in meminfo.Split('\n'))
        {
            if (!line.StartsWith(key + ":", StringComparison.Ordinal)) continue;
            var parts = line[(key.Length + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length > 0 && ulong.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out ulong v)) return v;
        }
        return 0;
    }

    private static string ReadOr(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
