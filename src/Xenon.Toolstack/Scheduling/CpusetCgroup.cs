using System.Globalization;

namespace Xenon.Toolstack.Scheduling;

/// <summary>
/// The domains' cpuset groups (cpupools): <c>ROOT/xenon/DOMID</c> under the host's cpuset controller, whose
/// <c>cpuset.cpus</c> is the domain's pool's CPUs, so every thread of the domain process (vCPUs and device I/O
/// threads, and threads made later, such as the new vCPUs of a restart) runs only there. One group per domain
/// rather than one per pool: moving a domain or changing a pool's CPUs is then one write per domain, and v1's rule
/// that a child's CPUs stay within its parent's never blocks a change. v1 groups start with no CPUs and no memory
/// nodes, so <c>xenon</c> and each group copy <c>cpuset.mems</c> from their parent; v2 enables <c>+cpuset</c> for
/// the children of the root and of <c>xenon</c>. The root is injectable so tests run against a fake tree.
/// </summary>
public sealed class CpusetCgroup(string root, CgroupVersion version)
{
    public string Root { get; } = root;

    public CgroupVersion Version { get; } = version;

    public string ParentPath => Path.Combine(Root, CpuCgroup.Parent);

    public string PathFor(int domId) => Path.Combine(ParentPath, domId.ToString(CultureInfo.InvariantCulture));

    /// <summary>Puts process <paramref name="pid"/> (every thread) in domain <paramref name="domId"/>'s group, limited to
    /// <paramref name="cpus"/>. Throws IOException/UnauthorizedAccessException naming the file that refused.</summary>
    public void Place(int domId, int pid, IReadOnlyList<int> cpus)
    {
        string group = SetCpus(domId, cpus);
        Write(Path.Combine(group, "cgroup.procs"), pid.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Sets domain <paramref name="domId"/>'s CPUs (the group is made if missing); returns the group.</summary>
    public string SetCpus(int domId, IReadOnlyList<int> cpus)
    {
        if (cpus.Count == 0) throw new IOException("a cpuset needs at least one CPU");
        if (Version == CgroupVersion.V2) EnableController(Root);
        Directory.CreateDirectory(ParentPath);
        if (Version == CgroupVersion.V1)
        {
            CopyIfEmpty(Root, ParentPath, "cpuset.cpus");
            CopyIfEmpty(Root, ParentPath, "cpuset.mems");
        }
        else
        {
            EnableController(ParentPath);
        }
        string group = PathFor(domId);
        Directory.CreateDirectory(group);
        if (Version == CgroupVersion.V1) CopyIfEmpty(ParentPath, group, "cpuset.mems");
        Write(Path.Combine(group, "cpuset.cpus"), CpuRange.Format(cpus));
        return group;
    }

    /// <summary>The CPUs domain <paramref name="domId"/>'s group allows, or null if it has none.</summary>
    public string? CpusOf(int domId)
    {
        try
        {
            return File.ReadAllText(Path.Combine(PathFor(domId), "cpuset.cpus")).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Removes the groups of domains not in <paramref name="liveDomIds"/> (busy ones stay).</summary>
    public void RemoveStale(IReadOnlyCollection<int> liveDomIds) => new CpuCgroup(Root, Version).RemoveStale(liveDomIds);

    private static void CopyIfEmpty(string from, string to, string file)
    {
        string target = Path.Combine(to, file);
        string current = File.Exists(target) ? File.ReadAllText(target).Trim() : "";
        if (current.Length > 0) return;
        string source = Path.Combine(from, file);
        string value = File.Exists(source) ? File.ReadAllText(source).Trim() : "";
        // A fake tree's root may not say; node 0 is what a one-node host has.
        Write(target, value.Length > 0 ? value : (file == "cpuset.mems" ? "0" : throw new IOException($"{source} names no CPUs")));
    }

    private static void EnableController(string group)
    {
        string control = Path.Combine(group, "cgroup.subtree_control");
        try
        {
            if (File.Exists(control))
            {
                foreach (var c in File.ReadAllText(control).Split(' ', '\n'))
                    if (c == "cpuset") return;
            }
        }
        catch (IOException)
        {
        }
        Write(control, "+cpuset");
    }

    private static void Write(string file, string value)
    {
        try
        {
            File.WriteAllText(file, value + "\n");
        }
        catch (IOException e)
        {
            throw new IOException($"cannot write \"{value}\" to {file}: {e.Message}", e);
        }
    }
}
