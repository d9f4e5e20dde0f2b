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
    public const string Usage = "Usage: xenon list [-l] [-v] [Domain]";

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, ToolstackContext context)
    {
        var line = CommandSupport.Parse(args, [new OptionSpec('l', "long"), new OptionSpec('v', "verbose")], "xenon list", Usage, stderr);
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
            stdout.WriteLine(LongJson(domains));
            return 0;
        }
        bool verbose = line.Has('v');
        stdout.WriteLine(verbose ? XlFormat.ListHeader + XlFormat.ListVerboseHeader : XlFormat.ListHeader);
        if (dom0)
        {
            var host = HostInfo.Read();
            stdout.WriteLine(XlFormat.ListRow("Domain-0", 0, host.TotalMemoryKiB / 1024, host.NrCpus, XlFormat.StateLetters(true, false),
                DomainUsage.HostBusySeconds()) + (verbose ? XlFormat.ListVerboseSuffix(Guid.Empty) : ""));
        }
        foreach (var d in domains)
        {
            var (seconds, running) = DomainUsage.Of(d);
            var (memory, paused) = MemoryAndPaused(d);
            // A paused domain's vCPU threads are parked: neither running nor blocked (xl shows "--p---").
            string state = paused ? XlFormat.StateLetters(false, false, paused: true) : XlFormat.StateLetters(running, !running);
            stdout.WriteLine(XlFormat.ListRow(d.Name, d.DomId, memory, d.Spec.Vcpus, state, seconds)
                + (verbose ? XlFormat.ListVerboseSuffix(d.Spec.Uuid) : ""));
        }
        return 0;
    }

    /// <summary>What the domain holds now (RAM minus the balloon), from its control socket; the configured memory
    /// if the process does not say.</summary>
    public static ulong CurrentMemoryMiB(LiveDomain d) => MemoryAndPaused(d).MemoryMiB;

    /// <summary>Memory held now and whether the domain is paused, from one <c>info</c> on its control socket.</summary>
    public static (ulong MemoryMiB, bool Paused) MemoryAndPaused(LiveDomain d)
    {
        if (ControlClient.Query(d.Directory, "info", out _) is not { } info) return (d.Spec.MemoryMiB, false);
        ulong mib = info.TryGetProperty("memory_mib", out var m) && m.ValueKind == JsonValueKind.Number && m.TryGetUInt64(out ulong v) ? v : d.Spec.MemoryMiB;
        bool paused = info.TryGetProperty("state", out var st) && st.ValueKind == JsonValueKind.String && st.GetString() == "paused";
        return (mib, paused);
    }

    /// <summary>xl list -l: a JSON array of {"domid": N, "config": …}; the config is the domain spec the domain
    /// process runs (docs/cli.md), not libxl's c_info/b_info.</summary>
    public static string LongJson(IReadOnlyList<LiveDomain> domains)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartArray();
            foreach (var d in domains)
            {
                w.WriteStartObject();
                w.WriteNumber("domid", d.DomId);
                w.WritePropertyName("config");
                w.WriteRawValue(DomainSpecJson.Serialize(d.Spec with { Name = d.Name }));
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
