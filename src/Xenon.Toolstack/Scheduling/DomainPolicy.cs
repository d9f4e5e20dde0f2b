using System.Text;
using System.Text.Json;
using Xenon.Domain.Process;

namespace Xenon.Toolstack.Scheduling;

/// <summary>
/// What the toolstack has decided about a running domain's resources, kept in its runtime directory as
/// <c>policy.json</c> (it moves with a rename and goes with the domain): scheduling weight and cap, each vCPU's
/// hard affinity (null: every CPU) and the mem-max ceiling (null: the domain's RAM). Written by create (from
/// xl.cfg), sched-credit, vcpu-pin, mem-max and cpupool-migrate under the registry lock; read by the listings, and by
/// the domain process when a restart makes new vCPU threads.
/// </summary>
public sealed record DomainPolicy
{
    public const string FileName = "policy.json";

    public int Weight { get; init; } = SchedParams.DefaultWeight;

    public int Cap { get; init; }

    /// <summary>Hard affinity per vCPU in Linux's list form (<c>0-1,3</c>); a missing or null entry means every CPU.</summary>
    public IReadOnlyList<string?> HardAffinity { get; init; } = [];

    /// <summary>xl mem-max: the most memory mem-set may give the domain, in MiB; null: its RAM (maxmem).</summary>
    public ulong? MaxMemoryMiB { get; init; }

    /// <summary>The id of the cpupool the domain is in (xl.cfg <c>pool=</c>, cpupool-migrate); 0 is Pool-0.</summary>
    public int Pool { get; init; }

    public SchedParams Sched => new(Weight, Cap);

    public string? AffinityOf(int vcpu) => vcpu < HardAffinity.Count ? HardAffinity[vcpu] : null;

    /// <summary>A copy with vCPU <paramref name="vcpu"/>'s hard affinity set (null: every CPU).</summary>
    public DomainPolicy WithAffinity(int vcpu, string? cpus)
    {
        var list = new List<string?>(HardAffinity);
        while (list.Count <= vcpu) list.Add(null);
        list[vcpu] = cpus;
        return this with { HardAffinity = list };
    }

    public static string PathIn(DomainRuntimeDirectory dir) => Path.Combine(dir.Path, FileName);

    /// <summary>The domain's policy; the defaults when it has none yet or the file is unreadable or malformed.</summary>
    public static DomainPolicy Load(DomainRuntimeDirectory dir)
    {
        try
        {
            return Parse(File.ReadAllText(PathIn(dir)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new DomainPolicy();
        }
    }

    public void Save(DomainRuntimeDirectory dir) => dir.WriteFile(FileName, ToJson());

    /// <summary>Parses policy.json; fields that are missing or of the wrong kind keep their defaults.</summary>
    public static DomainPolicy Parse(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var r = doc.RootElement;
            if (r.ValueKind != JsonValueKind.Object) return new DomainPolicy();
            var p = new DomainPolicy();
            if (r.TryGetProperty("weight", out var w) && w.ValueKind == JsonValueKind.Number && w.TryGetInt32(out int weight)
                && weight is >= SchedParams.MinWeight and <= SchedParams.MaxWeight)
                p = p with { Weight = weight };
            if (r.TryGetProperty("cap", out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetInt32(out int cap) && cap >= 0) p = p with { Cap = cap };
            if (r.TryGetProperty("pool", out var pool) && pool.ValueKind == JsonValueKind.Number && pool.TryGetInt32(out int poolId) && poolId >= 0)
                p = p with { Pool = poolId };
            if (r.TryGetProperty("max_memory_mib", out var m) && m.ValueKind == JsonValueKind.Number && m.TryGetUInt64(out ulong max)) p = p with { MaxMemoryMiB = max };
            if (r.TryGetProperty("hard_affinity", out var a) && a.ValueKind == JsonValueKind.Array)
            {
                var list = new List<string?>();
                foreach (var e in a.EnumerateArray()) list.Add(e.ValueKind == JsonValueKind.String ? e.GetString() : null);
                p = p with { HardAffinity = list };
            }
            return p;
        }
        catch (JsonException)
        {
            return new DomainPolicy();
        }
    }

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("weight", Weight);
            w.WriteNumber("cap", Cap);
            w.WriteStartArray("hard_affinity");
            foreach (var a in HardAffinity)
            {
                if (a is null) w.WriteNullValue();
                else w.WriteStringValue(a);
            }
            w.WriteEndArray();
            if (MaxMemoryMiB is { } max) w.WriteNumber("max_memory_mib", max);
            w.WriteNumber("pool", Pool);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}
