using System.Text;
using System.Text.Json;
using Xenon.Domain.Process;
using Xenon.Toolstack.Cli;
using Xenon.Toolstack.Domains;
using Xenon.Toolstack.XenStore;

namespace Xenon.Toolstack.Commands;

/// <summary>
/// <c>xenon list [-l] [-v] [DOMAIN]</c>, as xl list: Domain-0 (the host) and the running domains in xl's table;
/// -v adds UUID, reason code and security label; -l prints the domains' configurations as JSON.
/// </summary>
public static class ListCommand
{
    public const string Usage = "Usage: xenon list [-l] [-v] [-c] [Domain]";

    /// <summary>The file in a created domain's runtime directory holding its configuration as libxl JSON (what
    /// <c>create -n</c> prints); list -l prints it.</summary>
    public const string LibxlConfigFile = "config.json";

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, ToolstackContext context)
    {
        var line = CommandSupport.Parse(args, [new OptionSpec('l', "long"), new OptionSpec('v', "verbose"), new OptionSpec('c', "cpupool")],
            "xenon list", Usage, stderr);
        if (line is null) return CommandSupport.Failure;
        if (line.Operands.Count > 1)
        {
            stderr.WriteLine(Usage);
            return CommandSupport.Failure;
        }
        // xl list reads names from XenStore; here it also brings XenStore in line with the runtime directories
        // (starting xenstored if needed), so a listing never disagrees with xenstore-ls.
        using (XenStoreLauncher.Open(context, stderr)) { }
        var registry = new DomainRegistry(context);
        bool dom0 = true;
        List<LiveDomain> domains;
        if (line.Operands.Count == 1)
        {
            string arg = line.Operands[0];
            if (CommandSupport.IsDom0(arg))
            {
                domains = [];
            }
            else
            {
                if (CommandSupport.Find(registry, arg, stderr) is not { } d) return CommandSupport.Failure;
                domains = [d];
                dom0 = false;
            }
        }
        else
        {
            domains = registry.List();
        }

        if (line.Has('l'))
        {
            stdout.WriteLine(LongJson(domains, context.LoadPools()));
            return 0;
        }
        bool verbose = line.Has('v');
        var pools = line.Has('c') ? context.LoadPools() : null;
        stdout.WriteLine((verbose ? XlFormat.ListHeader + XlFormat.ListVerboseHeader : XlFormat.ListHeader) + (pools is null ? "" : XlFormat.ListPoolHeader));
        if (dom0)
        {
            var host = HostInfo.Read();
            stdout.WriteLine(XlFormat.ListRow("Domain-0", 0, host.TotalMemoryKiB / 1024, host.NrCpus, XlFormat.StateLetters(true, false),
                DomainUsage.HostBusySeconds()) + (verbose ? XlFormat.ListVerboseSuffix(Guid.Empty) : "")
                + (pools is null ? "" : XlFormat.ListPoolSuffix(pools.Pool0.Name)));
        }
        foreach (var d in domains)
        {
            var (seconds, running) = DomainUsage.Of(d);
            var (memory, paused, vcpus) = MemoryPausedVcpus(d);
            // A paused domain's vCPU threads are parked: neither running nor blocked (xl shows "--p---").
            string state = paused ? XlFormat.StateLetters(false, false, paused: true) : XlFormat.StateLetters(running, !running);
            stdout.WriteLine(XlFormat.ListRow(d.Name, d.DomId, memory, vcpus, state, seconds)
                + (verbose ? XlFormat.ListVerboseSuffix(d.Spec.Uuid) : "")
                + (pools is null ? "" : XlFormat.ListPoolSuffix(CpupoolCommands.PoolNameOf(pools, d))));
        }
        return 0;
    }

    /// <summary>What the domain holds now (RAM minus the balloon), from its control socket; the configured memory
    /// if the process does not say.</summary>
    public static ulong CurrentMemoryMiB(LiveDomain d) => MemoryAndPaused(d).MemoryMiB;

    /// <summary>Memory held now and whether the domain is paused, from one <c>info</c> on its control socket.</summary>
    public static (ulong MemoryMiB, bool Paused) MemoryAndPaused(LiveDomain d)
    {
        var (mib, paused, _) = MemoryPausedVcpus(d);
        return (mib, paused);
    }

    /// <summary>As <see cref="MemoryAndPaused"/>, and the vCPUs online now (xl list's VCPUs: vcpu-set changes it).</summary>
    public static (ulong MemoryMiB, bool Paused, int Vcpus) MemoryPausedVcpus(LiveDomain d)
    {
        if (ControlClient.Query(d.Directory, "info", out _) is not { } info) return (d.Spec.MemoryMiB, false, d.Spec.Vcpus);
        ulong mib = info.TryGetProperty("memory_mib", out var m) && m.ValueKind == JsonValueKind.Number && m.TryGetUInt64(out ulong v) ? v : d.Spec.MemoryMiB;
        bool paused = info.TryGetProperty("state", out var st) && st.ValueKind == JsonValueKind.String && st.GetString() == "paused";
        int vcpus = info.TryGetProperty("vcpus", out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetInt32(out int n) && n > 0 ? n : d.Spec.Vcpus;
        return (mib, paused, vcpus);
    }

    /// <summary>
    /// xl list -l: a JSON array of {"domid": N, "config": …} where the config is libxl's domain configuration as
    /// <c>create -n</c> printed it for this domain (kept in the runtime directory's config.json), with the current
    /// name and pool. A domain without one (restored from a save file) shows the domain spec its process runs.
    /// </summary>
    public static string LongJson(IReadOnlyList<LiveDomain> domains, Scheduling.CpuPoolTable? pools = null)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartArray();
            foreach (var d in domains)
            {
                w.WriteStartObject();
                w.WriteNumber("domid", d.DomId);
                w.WritePropertyName("config");
                if (LibxlConfig(d, pools) is { } config) config.WriteTo(w);
                else w.WriteRawValue(DomainSpecJson.Serialize(d.Spec with { Name = d.Name }));
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    // config.json with c_info's name, poolid and pool_name brought up to date (rename, cpupool-migrate).
    private static System.Text.Json.Nodes.JsonObject? LibxlConfig(LiveDomain d, Scheduling.CpuPoolTable? pools)
    {
        try
        {
            if (System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(d.Directory.Path, LibxlConfigFile))) is not System.Text.Json.Nodes.JsonObject config)
                return null;
            if (config["c_info"] is System.Text.Json.Nodes.JsonObject cInfo)
            {
                cInfo["name"] = d.Name;
                if (pools is not null)
                {
                    var pool = pools.PoolOf(Scheduling.DomainPolicy.Load(d.Directory).Pool);
                    cInfo["poolid"] = pool.Id;
                    cInfo["pool_name"] = pool.Name;
                }
            }
            return config;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }
}
