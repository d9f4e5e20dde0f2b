using System.Globalization;
using System.Text.Json;
using Xenon.Domain.Process;
using Xenon.Toolstack.Cli;
using Xenon.Toolstack.Console;
using Xenon.Toolstack.Domains;
using Xenon.Toolstack.XenStore;

namespace Xenon.Toolstack.Commands;

/// <summary>
/// <c>xenon save [-c] [-p] DOMAIN FILE [CONFIG-FILE]</c>, as xl save: the domain process pauses the guest, writes it to
/// FILE (docs/save-format.md; FILE.tmp renamed once complete) and, without -c or -p, ends it; the domain is then gone,
/// as after destroy, and <c>xenon restore FILE</c> continues it. -c leaves it running, -p leaves it paused (a snapshot
/// either way). CONFIG-FILE (xl.cfg) is stored in FILE instead of the domain's own configuration. If the save fails,
/// the domain runs on as before and no file is left.
/// </summary>
public static class SaveCommand
{
    public const string Usage = "Usage: xenon save [-c] [-p] <Domain> <CheckpointFile> [<ConfigFile>]\n" +
                                "  -c  leave the domain running after saving it\n" +
                                "  -p  leave the domain paused after saving it\n" +
                                "  <ConfigFile>  store this xl.cfg in the file instead of the domain's configuration";

    /// <summary>The replacement configuration handed to the domain process, in its runtime directory while the save runs.</summary>
    public const string ReplacementSpecFile = "save-config.json";

    /// <summary>Writing a large guest to a slow disk takes a while; the domain process answers when the file is complete.</summary>
    public static readonly TimeSpan ReplyTimeout = TimeSpan.FromMinutes(10);

    public static int Run(IReadOnlyList<string> args, TextWriter stderr, ToolstackContext context)
    {
        var line = CommandSupport.Parse(args, [new OptionSpec('c'), new OptionSpec('p')], "xenon save", Usage, stderr);
        if (line is null) return CommandSupport.Failure;
        if (line.Operands.Count is not (2 or 3))
        {
            stderr.WriteLine(Usage);
            return CommandSupport.Failure;
        }
        string domain = line.Operands[0];
        if (CommandSupport.IsDom0(domain))
        {
            stderr.WriteLine("xenon save: Domain-0 (the host) cannot be saved");
            return CommandSupport.Failure;
        }
        bool paused = line.Has('p');
        bool keep = line.Has('c') || paused;
        if (CommandSupport.Find(new DomainRegistry(context), domain, stderr) is not { } d) return CommandSupport.Failure;
        string path = Path.GetFullPath(line.Operands[1]);
        string? specFile = null;
        if (line.Operands.Count == 3)
        {
            string configFile = line.Operands[2];
            if (SaveRestoreConfig.Load(configFile, d.Spec, "xenon save", stderr) is not { } config) return CommandSupport.Failure;
            var replacement = SaveRestoreConfig.ToSpec(config, d.Spec, d.DomId);
            specFile = Path.Combine(d.Directory.Path, ReplacementSpecFile);
            DomainRuntimeDirectory.WriteAtomically(specFile, DomainSpecJson.Serialize(replacement));
            stderr.WriteLine($"Saving the configuration from {configFile} in place of the domain's");
        }
        stderr.WriteLine($"Saving to {path} (domain {d.DomId}){(paused ? "; it stays paused" : "")}");
        var start = DateTime.UtcNow;
        string members = $",\"path\":{JsonSerializer.Serialize(path, ToolstackJsonContext.Default.String)},\"keep\":{(keep ? "true" : "false")}" +
                         (paused ? ",\"paused\":true" : "") +
                         (specFile is null ? "" : $",\"config\":{JsonSerializer.Serialize(specFile, ToolstackJsonContext.Default.String)}");
        JsonElement? reply;
        string? error;
        try
        {
            reply = ControlClient.Query(d.Directory, "save", members, ReplyTimeout, out error);
        }
        finally
        {
            if (specFile is not null) File.Delete(specFile);
        }
        if (reply is null)
        {
            stderr.WriteLine($"xenon save: {domain}: {error}");
            return CommandSupport.Failure;
        }
        var r = reply.Value;
        stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Saved domain {d.Name} to {path}: {Number(r, "bytes")} bytes, {Number(r, "data_pages")} data pages, {Number(r, "zero_pages")} zero pages, " +
            $"{Number(r, "devices")} devices; guest stopped {Number(r, "downtime_ms")} ms; {(DateTime.UtcNow - start).TotalMilliseconds:0} ms in all"));
        if (keep) return 0;
        // The domain ends by itself once saved; wait for it to be gone so that its name is free for the restore.
        int status = ConsoleClient.WaitForOutcome(d.Directory, TimeSpan.FromSeconds(30), TextWriter.Null);
        using (XenStoreLauncher.Open(context, TextWriter.Null)) { } // reconciling drops a dead domain's nodes
        if (status != Domain.DomainOutcome.ExitSaved)
            stderr.WriteLine($"xenon save: warning: domain {d.Name} did not report its end as saved (status {status})");
        return 0;
    }

    private static string Number(JsonElement reply, string name) =>
        reply.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetRawText() : "?";
}
