using System.Globalization;
using Xenon.Toolstack.Cli;
using Xenon.Toolstack.XenStore;

namespace Xenon.Toolstack.Commands;

/// <summary>
/// <c>xenon info [KEY]</c>, as xl info: "key : value" lines about the host. Keys whose meaning carries over from
/// Xen keep xl's names (host, release, nr_cpus, total_memory, free_memory, …); the hypervisor's own fields are
/// not faked as Xen's: they are named for what they are (hypervisor, xenon_version, kvm, host_scheduler, …).
/// With KEY, only that line is printed.
/// </summary>
public static class InfoCommand
{
    public const string Usage = "Usage: xenon info [Key]";

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, ToolstackContext context)
    {
        var line = CommandSupport.Parse(args, [new OptionSpec('n', "numa")], "xenon info", Usage, stderr);
        if (line is null) return CommandSupport.Failure;
        if (line.Operands.Count > 1)
        {
            stderr.WriteLine(Usage);
            return CommandSupport.Failure;
        }
        var lines = Lines(HostInfo.Read(), context);
        if (line.Operands.Count == 1)
        {
            foreach (var (key, value) in lines)
            {
                if (key != line.Operands[0]) continue;
                stdout.WriteLine(XlFormat.InfoLine(key, value));
                return 0;
            }
            stderr.WriteLine($"xenon info: no such key '{line.Operands[0]}'");
            return CommandSupport.Failure;
        }
        foreach (var (key, value) in lines) stdout.WriteLine(XlFormat.InfoLine(key, value));
        return 0;
    }

    public static List<(string Key, string Value)> Lines(HostInfo host, ToolstackContext context)
    {
        static string N(long n) => n.ToString(CultureInfo.InvariantCulture);
        var domains = new Domains.DomainRegistry(context).List();
        int xsPid = ReadPid(XenStoreLauncher.PidFileFor(context.XenStoreSocket));
        string version = typeof(InfoCommand).Assembly.GetName().Version?.ToString() ?? "0";
        return
        [
            ("host", host.Host),
            ("release", host.Release),
            ("version", host.Version),
            ("machine", host.Machine),
            ("nr_cpus", N(host.NrCpus)),
            ("max_cpu_id", N(host.NrCpus - 1)),
            ("nr_nodes", N(host.NrNodes)),
            ("cores_per_socket", N(host.CoresPerSocket)),
            ("threads_per_core", N(host.ThreadsPerCore)),
            ("cpu_mhz", host.CpuMhz),
            ("virt_caps", File.Exists("/dev/kvm") ? (host.HardwareVirt ? "hvm hap" : "hvm") : ""),
            ("total_memory", N((long)(host.TotalMemoryKiB / 1024))),
            ("free_memory", N((long)(host.FreeMemoryKiB / 1024))),
            ("free_cpus", "0"),
            ("nr_domains", N(domains.Count + 1)),
            ("hypervisor", "Xenon (Xen's toolstack and layout on Linux KVM; not Xen)"),
            ("xenon_version", version),
            ("kvm", File.Exists("/dev/kvm") ? "/dev/kvm" : "absent"),
            ("host_scheduler", "Linux (threads per vCPU)"),
            ("host_pagesize", N(Environment.SystemPageSize)),
            ("host_commandline", ReadTrimmed("/proc/cmdline")),
            ("xenstored", xsPid > 0 ? $"{context.XenStoreSocket} (pid {N(xsPid)})" : $"{context.XenStoreSocket} (not started)"),
            ("cc_compiler", $".NET {Environment.Version}"),
        ];
    }

    private static int ReadPid(string path)
    {
        try
        {
            return int.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                && Directory.Exists($"/proc/{pid}") ? pid : 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    private static string ReadTrimmed(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
