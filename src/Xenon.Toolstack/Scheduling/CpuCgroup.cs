using System.Globalization;

namespace Xenon.Toolstack.Scheduling;

/// <summary>
/// The domains' CPU cgroups under the host's CPU controller: <c>ROOT/xenon/DOMID</c> (by domain id, which stays
/// the same across a rename), each holding one domain process (all its threads). v1 takes <c>cpu.shares</c> and
/// <c>cpu.cfs_quota_us</c>/<c>cpu.cfs_period_us</c>; v2 takes <c>cpu.weight</c> and <c>cpu.max</c>, after the
/// <c>cpu</c> controller is enabled for the children of the root and of <c>xenon</c>. The root is injectable so
/// tests run against a fake tree in a temporary directory.
/// </summary>
public sealed class CpuCgroup(string root, CgroupVersion version)
{
    public const string Parent = "xenon";

    public string Root { get; } = root;

    public CgroupVersion Version { get; } = version;

    public string ParentPath => Path.Combine(Root, Parent);

    public string PathFor(int domId) => Path.Combine(ParentPath, domId.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// Makes (or resets) domain <paramref name="domId"/>'s group with <paramref name="p"/> and moves process
    /// <paramref name="pid"/> (every thread) into it. Throws IOException/UnauthorizedAccessException with the file
    /// that refused.
    /// </summary>
    public void Attach(int domId, int pid, SchedParams p)
    {
        string group = Prepare(domId);
        Apply(domId, p);
        Write(Path.Combine(group, "cgroup.procs"), pid.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Writes the weight and cap of domain <paramref name="domId"/>'s group (made if missing).</summary>
    public void Apply(int domId, SchedParams p)
    {
        string group = Prepare(domId);
        if (Version == CgroupVersion.V1)
        {
            Write(Path.Combine(group, "cpu.shares"), p.V1Shares.ToString(CultureInfo.InvariantCulture));
            Write(Path.Combine(group, "cpu.cfs_period_us"), SchedParams.CapPeriodMicroseconds.ToString(CultureInfo.InvariantCulture));
            Write(Path.Combine(group, "cpu.cfs_quota_us"), p.V1QuotaMicroseconds.ToString(CultureInfo.InvariantCulture));
        }
        else
        {
            Write(Path.Combine(group, "cpu.weight"), p.V2Weight.ToString(CultureInfo.InvariantCulture));
            Write(Path.Combine(group, "cpu.max"), p.V2Max);
        }
    }

    /// <summary>True if process <paramref name="pid"/> is listed in domain <paramref name="domId"/>'s group.</summary>
    public bool Holds(int domId, int pid)
    {
        try
        {
            string want = pid.ToString(CultureInfo.InvariantCulture);
            foreach (var l in File.ReadAllLines(Path.Combine(PathFor(domId), "cgroup.procs")))
                if (l.Trim() == want) return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return false;
    }

    /// <summary>Removes the groups of domains not in <paramref name="liveDomIds"/> (a group still holding a process
    /// cannot be removed, and stays).</summary>
    public void RemoveStale(IReadOnlyCollection<int> liveDomIds)
    {
        if (!Directory.Exists(ParentPath)) return;
        foreach (var dir in Directory.EnumerateDirectories(ParentPath))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int id)) continue;
            if (liveDomIds.Contains(id)) continue;
            try
            {
                // cgroupfs removes a group with rmdir while it holds only its interface files; a fake tree needs recursion.
                if (IsCgroupFs(dir)) Directory.Delete(dir);
                else Directory.Delete(dir, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Still busy (a process inside): left for a later pass.
            }
        }
    }

    private string Prepare(int domId)
    {
        if (Version == CgroupVersion.V2) EnableCpuController(Root);
        Directory.CreateDirectory(ParentPath);
        if (Version == CgroupVersion.V2) EnableCpuController(ParentPath);
        string group = PathFor(domId);
        Directory.CreateDirectory(group);
        return group;
    }

    // v2: a group's children get the cpu interface files only once "+cpu" is in its cgroup.subtree_control.
    private static void EnableCpuController(string group)
    {
        string control = Path.Combine(group, "cgroup.subtree_control");
        try
        {
            if (File.Exists(control))
            {
                foreach (var c in File.ReadAllText(control).Split(' ', '\n'))
                    if (c == "cpu") return;
            }
        }
        catch (IOException)
        {
        }
        Write(control, "+cpu");
    }

    // The kernel makes "tasks" (v1) or "cgroup.controllers" (v2) in every group; this code never writes either.
    private static bool IsCgroupFs(string dir) =>
        File.Exists(Path.Combine(dir, "tasks")) || File.Exists(Path.Combine(dir, "cgroup.controllers"));

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
