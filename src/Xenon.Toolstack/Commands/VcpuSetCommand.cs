using System.Globalization;
using Xenon.Toolstack.Cli;
using Xenon.Toolstack.Domains;
using Xenon.Toolstack.XenStore;

namespace Xenon.Toolstack.Commands;

/// <summary>
/// <c>xenon vcpu-set [-i] DOMAIN N</c>, as xl vcpu-set on an HVM guest: vCPUs 0 … N-1 become available and the rest
/// are taken away through ACPI CPU hotplug (the domain process's <c>vcpu-set</c> request). A hot-added CPU appears in
/// the guest, which brings it up when told to (Linux: <c>echo 1 &gt; /sys/devices/system/cpu/cpuN/online</c>, what a
/// udev rule does); a removed one is offlined and ejected by the guest. XenStore's cpu/I/availability follows.
/// N must be 1 … maxvcpus; otherwise libxl's error, exit 1, and nothing changes. xl's host-CPU overcommit check
/// (which -i skips) is not made: a vCPU here is a host thread, and a guest with more vCPUs than the host has CPUs is
/// merely slower.
/// </summary>
public static class VcpuSetCommand
{
    public const string Usage = "Usage: xenon vcpu-set [-i] <Domain> <vCPUs>";

    public static int Run(IReadOnlyList<string> args, TextWriter stderr, ToolstackContext context)
    {
        var line = CommandSupport.Parse(args, [new OptionSpec('i', "ignore-host")], "xenon vcpu-set", Usage, stderr);
        if (line is null) return CommandSupport.Failure;
        if (line.Operands.Count != 2)
        {
            stderr.WriteLine(Usage);
            return CommandSupport.Failure;
        }
        string dom = line.Operands[0];
        if (!int.TryParse(line.Operands[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n))
        {
            stderr.WriteLine("Error: Invalid argument.");
            return CommandSupport.Failure;
        }
        if (CommandSupport.IsDom0(dom))
        {
            stderr.WriteLine("xenon vcpu-set: Domain-0's vCPUs are the host's CPUs; their number cannot be changed");
            return CommandSupport.Failure;
        }
        if (CommandSupport.Find(new DomainRegistry(context), dom, stderr) is not { } d) return CommandSupport.Failure;
        int max = d.Spec.EffectiveMaxVcpus;
        if (n < 1 || n > max)
        {
            // libxl_set_vcpuonline's messages, then xl's.
            stderr.WriteLine(n < 1 ? $"libxl: error: Domain {d.DomId}:Requested 0 VCPUs!"
                : $"libxl: error: Domain {d.DomId}:Requested {n} VCPUs, however maxcpus is {max}!");
            stderr.WriteLine($"libxl_set_vcpuonline failed domid={d.DomId} max_vcpus={n}, rc: -3");
            return CommandSupport.Failure;
        }
        if (ControlClient.Send(d.Directory, "vcpu-set", $",\"vcpus\":{n.ToString(CultureInfo.InvariantCulture)}") is { } error)
        {
            stderr.WriteLine($"libxl_set_vcpuonline failed domid={d.DomId} max_vcpus={n}: {error}");
            return CommandSupport.Failure;
        }
        using var records = XenStoreLauncher.Open(context, stderr);
        try
        {
            records?.SetVcpuAvailability(d.DomId, n, max);
        }
        catch (XsClientException e)
        {
            stderr.WriteLine($"xenon: warning: XenStore not updated: {e.Message}");
        }
        return 0;
    }
}
