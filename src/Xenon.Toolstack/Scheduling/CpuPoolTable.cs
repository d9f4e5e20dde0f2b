using System.Globalization;
using System.Text;
using System.Text.Json;
using Xenon.Domain.Process;

namespace Xenon.Toolstack.Scheduling;

/// <summary>
/// The host's cpupools, kept in the runtime root as <c>cpupools.json</c> (beside <c>domains/</c>, so it outlives
/// xenstored restarts as the domains do, and goes with a host reboot as Xen's pools do). Pool-0 holds every CPU
/// until CPUs are removed from it; a CPU is in at most one pool (the others are free, xl info's free_cpus). The
/// operations check Xen's rules and return libxl's complaint (null: done); callers hold the registry lock from
/// load to save.
/// </summary>
public sealed class CpuPoolTable
{
    public const string FileName = "cpupools.json";

    /// <summary>Xen's default scheduler in the listings (sched-credit's pool line is credit's).</summary>
    public const string DefaultScheduler = "credit";

    private readonly List<CpuPool> _pools;

    private CpuPoolTable(List<CpuPool> pools) => _pools = pools;

    /// <summary>Pools in id order; Pool-0 first.</summary>
    public IReadOnlyList<CpuPool> Pools => _pools;

    /// <summary>Pool-0 with every host CPU: the state before any cpupool command.</summary>
    public static CpuPoolTable Initial(int hostCpus) =>
        new([new CpuPool(CpuPool.Pool0Id, CpuPool.Pool0Name, DefaultScheduler, [.. Enumerable.Range(0, hostCpus)])]);

    public static string PathIn(string runRoot) => Path.Combine(runRoot, FileName);

    /// <summary>The pools recorded under <paramref name="runRoot"/>; <see cref="Initial"/> if none are (or the file is
    /// unreadable). CPUs the host no longer has are dropped.</summary>
    public static CpuPoolTable Load(string runRoot, int hostCpus)
    {
        // No file (no cpupool command ever ran) is the usual case: answered without an exception (create comes here).
        if (!File.Exists(PathIn(runRoot))) return Initial(hostCpus);
        try
        {
            return Parse(File.ReadAllText(PathIn(runRoot)), hostCpus);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Initial(hostCpus);
        }
    }

    public void Save(string runRoot)
    {
        Directory.CreateDirectory(runRoot);
        DomainRuntimeDirectory.WriteAtomically(PathIn(runRoot), ToJson());
    }

    /// <summary>Parses cpupools.json. Malformed content, entries of the wrong kind and a CPU claimed twice (the first
    /// pool keeps it) are dropped; Pool-0 is always there.</summary>
    public static CpuPoolTable Parse(string json, int hostCpus)
    {
        var pools = new List<CpuPool>();
        var taken = new HashSet<int>();
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("pools", out var list)
                && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var p in list.EnumerateArray())
                {
                    if (ParsePool(p, hostCpus, taken) is { } pool && pools.TrueForAll(x => x.Id != pool.Id && x.Name != pool.Name))
                        pools.Add(pool);
                }
            }
        }
        catch (JsonException)
        {
            return Initial(hostCpus);
        }
        if (!pools.Exists(p => p.IsPool0))
        {
            var free = new List<int>();
            for (int c = 0; c < hostCpus; c++)
                if (!taken.Contains(c)) free.Add(c);
            pools.Add(new CpuPool(CpuPool.Pool0Id, CpuPool.Pool0Name, DefaultScheduler, free));
        }
        pools.Sort((a, b) => a.Id.CompareTo(b.Id));
        return new CpuPoolTable(pools);
    }

    private static CpuPool? ParsePool(JsonElement p, int hostCpus, HashSet<int> taken)
    {
        if (p.ValueKind != JsonValueKind.Object) return null;
        if (!p.TryGetProperty("id", out var idEl) || !idEl.TryGetInt32(out int id) || id < 0) return null;
        if (!p.TryGetProperty("name", out var nameEl) || nameEl.ValueKind != JsonValueKind.String || nameEl.GetString() is not { Length: > 0 } name) return null;
        string sched = p.TryGetProperty("sched", out var s) && s.ValueKind == JsonValueKind.String && IsScheduler(s.GetString()) ? s.GetString()! : DefaultScheduler;
        var cpus = new List<int>();
        if (p.TryGetProperty("cpus", out var c) && c.ValueKind == JsonValueKind.String && XlFormatCpuList(c.GetString()!) is { } listed)
        {
            foreach (int cpu in listed)
                if (cpu < hostCpus && taken.Add(cpu)) cpus.Add(cpu);
        }
        cpus.Sort();
        return new CpuPool(id, name, sched, cpus);
    }

    private static List<int>? XlFormatCpuList(string text)
    {
        if (text.Length == 0) return [];
        return CpuRange.Parse(text, 0, out _);
    }

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartArray("pools");
            foreach (var p in _pools)
            {
                w.WriteStartObject();
                w.WriteNumber("id", p.Id);
                w.WriteString("name", p.Name);
                w.WriteString("sched", p.Scheduler);
                w.WriteString("cpus", CpuRange.Format(p.Cpus));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    public static bool IsScheduler(string? name) => name is "credit" or "credit2";

    /// <summary>libxl's cpupool qualifier: an all-digit argument is a pool id, anything else a name.</summary>
    public CpuPool? Find(string qualifier)
    {
        if (int.TryParse(qualifier, NumberStyles.None, CultureInfo.InvariantCulture, out int id)) return ById(id);
        foreach (var p in _pools)
            if (p.Name == qualifier) return p;
        return null;
    }

    public CpuPool? ById(int id)
    {
        foreach (var p in _pools)
            if (p.Id == id) return p;
        return null;
    }

    /// <summary>Pool-0 (always present).</summary>
    public CpuPool Pool0 => ById(CpuPool.Pool0Id)!;

    /// <summary>The pool a domain recorded, or Pool-0 if that pool is gone.</summary>
    public CpuPool PoolOf(int poolId) => ById(poolId) ?? Pool0;

    /// <summary>Host CPUs in no pool.</summary>
    public List<int> FreeCpus(int hostCpus)
    {
        var free = new List<int>();
        for (int c = 0; c < hostCpus; c++)
            if (OwnerOf(c) is null) free.Add(c);
        return free;
    }

    public CpuPool? OwnerOf(int cpu)
    {
        foreach (var p in _pools)
            if (p.Has(cpu)) return p;
        return null;
    }

    /// <summary>xl cpupool-create: a new pool of free CPUs, with the next id.</summary>
    public string? Create(string name, string scheduler, IReadOnlyList<int> cpus, int hostCpus, out CpuPool? created)
    {
        created = null;
        if (ByName(name) is not null) return $"Pool name \"{name}\" already exists";
        if (IsAllDigits(name)) return $"Pool name \"{name}\" is a number: pools are named by id when all digits (libxl's cpupool qualifier)";
        foreach (int c in cpus)
            if (c >= hostCpus || OwnerOf(c) is not null) return $"cpu {c} illegal or not free";
        int id = 0;
        foreach (var p in _pools) id = Math.Max(id, p.Id);
        var sorted = new List<int>(cpus);
        sorted.Sort();
        created = new CpuPool(id + 1, name, scheduler, sorted);
        _pools.Add(created);
        return null;
    }

    private CpuPool? ByName(string name)
    {
        foreach (var p in _pools)
            if (p.Name == name) return p;
        return null;
    }

    private static bool IsAllDigits(string s) => s.Length > 0 && s.All(char.IsAsciiDigit);

    /// <summary>xl cpupool-destroy: a pool without domains goes and its CPUs become free. Pool-0 holds Domain-0.</summary>
    public string? Destroy(CpuPool pool, int domains)
    {
        if (pool.IsPool0) return "Pool-0 holds Domain-0 (the host) and cannot be destroyed";
        if (domains > 0) return $"the cpupool has {domains} domain(s); move them away first (cpupool-migrate)";
        _pools.RemoveAll(p => p.Id == pool.Id);
        return null;
    }

    /// <summary>xl cpupool-rename.</summary>
    public string? Rename(CpuPool pool, string newName)
    {
        if (newName.Length == 0) return "a pool name cannot be empty";
        if (IsAllDigits(newName)) return $"Pool name \"{newName}\" is a number";
        if (ByName(newName) is { } other && other.Id != pool.Id) return $"Pool name \"{newName}\" already exists";
        Replace(pool with { Name = newName });
        return null;
    }

    /// <summary>xl cpupool-cpu-add: free CPUs join the pool. One libxl complaint per CPU that could not (the rest are added).</summary>
    public List<string> AddCpus(CpuPool pool, IReadOnlyList<int> cpus, int hostCpus)
    {
        var errors = new List<string>();
        var now = new List<int>(PoolOf(pool.Id).Cpus);
        foreach (int c in cpus)
        {
            if (now.Contains(c)) continue;
            if (c >= hostCpus) errors.Add($"Error moving cpu {c} to cpupool: Invalid argument (the host has CPUs 0-{hostCpus - 1})");
            else if (OwnerOf(c) is { } owner) errors.Add($"Error moving cpu {c} to cpupool: Device or resource busy (it is in {owner.Name})");
            else now.Add(c);
        }
        now.Sort();
        Replace(PoolOf(pool.Id) with { Cpus = now });
        return errors;
    }

    /// <summary>xl cpupool-cpu-remove: the pool's CPUs become free. A pool that has domains keeps its last CPU.</summary>
    public List<string> RemoveCpus(CpuPool pool, IReadOnlyList<int> cpus, int domains)
    {
        var errors = new List<string>();
        var now = new List<int>(PoolOf(pool.Id).Cpus);
        foreach (int c in cpus)
        {
            if (!now.Contains(c)) errors.Add($"Error removing cpu {c} from cpupool: Invalid argument (it is not in {pool.Name})");
            else if (now.Count == 1 && domains > 0) errors.Add($"Error removing cpu {c} from cpupool: Device or resource busy (the last CPU of a pool with domains)");
            else now.Remove(c);
        }
        Replace(PoolOf(pool.Id) with { Cpus = now });
        return errors;
    }

    private void Replace(CpuPool pool)
    {
        int i = _pools.FindIndex(p => p.Id == pool.Id);
        _pools[i] = pool;
    }
}
