using System.Globalization;
using Xenon.Toolstack.Cli;
using Xenon.Toolstack.Domains;
using Xenon.Toolstack.XenStore;

namespace Xenon.Toolstack.Commands;

/// <summary><c>xenon domid NAME</c>, <c>xenon domname ID</c> and <c>xenon uptime [-s] [DOMAIN...]</c>, with xl's output and messages.</summary>
public static class DomainQueryCommands
{
    public const string DomidUsage = "Usage: xenon domid <DomainName>";
    public const string DomnameUsage = "Usage: xenon domname <DomainId>";
    public const string UptimeUsage = "Usage: xenon uptime [-s] [Domain ...]";

    public static int DomId(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, ToolstackContext context)
    {
        var line = CommandSupport.Parse(args, [], "xenon domid", DomidUsage, stderr);
        if (line is null) return CommandSupport.Failure;
        if (line.Operands.Count != 1)
        {
            stderr.WriteLine(DomidUsage);
            return CommandSupport.Failure;
        }
        string name = line.Operands[0];
        if (name == Config.DomainName.Host)
        {
            stdout.WriteLine("0");
            return 0;
        }
        // libxl_name_to_domid matches names only, never ids.
        var d = DomainRegistry.IsDomId(name, out _) ? null : new DomainRegistry(context).Find(name);
        if (d is null)
        {
            stderr.WriteLine($"Can't get domid of domain name '{name}', maybe this domain does not exist.");
            return CommandSupport.Failure;
        }
        stdout.WriteLine(d.DomId.ToString(CultureInfo.InvariantCulture));
        return 0;
    }

    public static int DomName(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, ToolstackContext context)
    {
        var line = CommandSupport.Parse(args, [], "xenon domname", DomnameUsage, stderr);
        if (line is null) return CommandSupport.Failure;
        if (line.Operands.Count != 1)
        {
            stderr.WriteLine(DomnameUsage);
            return CommandSupport.Failure;
        }
        if (!DomainRegistry.IsDomId(line.Operands[0], out int id))
        {
            stderr.WriteLine("Invalid domain id.");
            return CommandSupport.Failure;
        }
        if (id == 0)
        {
            stdout.WriteLine(Config.DomainName.Host);
            return 0;
        }
        if (new DomainRegistry(context).Find(line.Operands[0]) is not { } d)
        {
            stderr.WriteLine($"Can't get domain name of domain id '{id}', maybe this domain does not exist.");
            return CommandSupport.Failure;
        }
        stdout.WriteLine(d.Name);
        return 0;
    }

    public static int Uptime(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, ToolstackContext context)
    {
        var line = CommandSupport.Parse(args, [new OptionSpec('s')], "xenon uptime", UptimeUsage, stderr);
        if (line is null) return CommandSupport.Failure;
        bool shortMode = line.Has('s');
        var registry = new DomainRegistry(context);
        // Resolve every argument first: xl's find_domain exits on the first unknown one, printing nothing else.
        var wanted = new List<LiveDomain?>();
        foreach (var arg in line.Operands)
        {
            if (CommandSupport.IsDom0(arg))
            {
                wanted.Add(null);
                continue;
            }
            if (CommandSupport.Find(registry, arg, stderr) is not { } d) return CommandSupport.Failure;
            wanted.Add(d);
        }
        if (line.Operands.Count == 0)
        {
            wanted.Add(null);
            foreach (var d in registry.List()) wanted.Add(d);
        }

        using var store = XenStoreLauncher.TryConnect(context.XenStoreSocket);
        var now = DateTime.Now;
        double nowEpoch = DomainStoreRecords.Now();
        if (!shortMode) stdout.WriteLine(XlFormat.UptimeHeader);
        foreach (var d in wanted)
        {
            string name = d?.Name ?? Config.DomainName.Host;
            int id = d?.DomId ?? 0;
            ulong seconds = d is null ? HostUptimeSeconds() : (ulong)Math.Max(0, nowEpoch - StartTime(d, store));
            stdout.WriteLine(shortMode ? XlFormat.UptimeShortRow(now, name, id, seconds) : XlFormat.UptimeRow(name, id, seconds));
        }
        return 0;
    }

    /// <summary>/vm/UUID/start_time from XenStore, as libxl_vm_get_start_time; the domain process's start otherwise.</summary>
    private static double StartTime(LiveDomain d, XsClient? store)
    {
        try
        {
            if (store?.Read($"{DomainStoreLayout.VmPath(d.Spec.Uuid)}/start_time") is { } text
                && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double t))
                return t;
        }
        catch (XsClientException)
        {
            // XenStore went away: fall back to the runtime directory.
        }
        return DomainStoreRecords.StartTimeOf(d);
    }

    private static ulong HostUptimeSeconds()
    {
        try
        {
            var first = File.ReadAllText("/proc/uptime").Split(' ')[0];
            return double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) ? (ulong)s : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
