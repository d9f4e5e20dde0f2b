using System.Text;

namespace Xenon.Toolstack.Scheduling;

/// <summary>
/// Finds where the host's CPU controller is mounted, from <c>/proc/self/mountinfo</c>: a cgroup v1 hierarchy whose
/// super options name <c>cpu</c> (alone or as <c>cpu,cpuacct</c>) wins, since a controller bound to v1 is absent
/// from v2; otherwise a cgroup2 mount whose <c>cgroup.controllers</c> lists <c>cpu</c>.
/// </summary>
public static class CgroupMounts
{
    /// <summary>The CPU controller's root, or null if none is mounted.</summary>
    public static CpuCgroup? Discover()
    {
        try
        {
            return Find(File.ReadAllText("/proc/self/mountinfo"), File.ReadAllText);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <param name="readFile">Reads a file (a v2 mount's cgroup.controllers); throws IOException if absent.</param>
    public static CpuCgroup? Find(string mountinfo, Func<string, string> readFile) =>
        FindController(mountinfo, readFile, "cpu") is { } m ? new CpuCgroup(m.MountPoint, m.Version) : null;

    /// <summary>The cpuset controller's root (cpupools), or null if none is mounted.</summary>
    public static CpusetCgroup? DiscoverCpuset()
    {
        try
        {
            return FindCpuset(File.ReadAllText("/proc/self/mountinfo"), File.ReadAllText);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>As <see cref="Find"/> for the <c>cpuset</c> controller: a v1 hierarchy with it wins over cgroup2.</summary>
    public static CpusetCgroup? FindCpuset(string mountinfo, Func<string, string> readFile) =>
        FindController(mountinfo, readFile, "cpuset") is { } m ? new CpusetCgroup(m.MountPoint, m.Version) : null;

    private static (string MountPoint, CgroupVersion Version)? FindController(string mountinfo, Func<string, string> readFile, string controller)
    {
        string? v2 = null;
        foreach (var line in mountinfo.Split('\n'))
        {
            // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
            int sep = line.IndexOf(" - ", StringComparison.Ordinal);
            if (sep < 0) continue;
            var left = line[..sep].Split(' ');
            var right = line[(sep + 3)..].Split(' ');
            if (left.Length < 5 || right.Length < 3) continue;
            string mountPoint = Unescape(left[4]);
            if (right[0] == "cgroup" && HasOption(right[2], controller)) return (mountPoint, CgroupVersion.V1);
            if (right[0] == "cgroup2" && v2 is null) v2 = mountPoint;
        }
        if (v2 is null) return null;
        try
        {
            foreach (var c in readFile(Path.Combine(v2, "cgroup.controllers")).Split(' ', '\n'))
                if (c == controller) return (v2, CgroupVersion.V2);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }

    private static bool HasOption(string options, string name)
    {
        foreach (var o in options.Split(','))
            if (o == name) return true;
        return false;
    }

    // mountinfo escapes space, tab, newline and backslash as \ooo (octal).
    private static string Unescape(string s)
    {
        if (!s.Contains('\\')) return s;
        var sb = new StringBuilder();
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\\' && IsOctal(s, i + 1))
            {
                sb.Append((char)Convert.ToInt32(s.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                sb.Append(s[i]);
            }
        }
        return sb.ToString();
    }

    private static bool IsOctal(string s, int at)
    {
        if (at + 3 > s.Length) return false;
        for (int k = at; k < at + 3; k++)
            if (s[k] is < '0' or > '7') return false;
        return true;
    }
}
