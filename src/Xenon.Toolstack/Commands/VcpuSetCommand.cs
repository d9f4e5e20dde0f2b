using System.Globalization;
using Xenon.Toolstack.Cli;
using Xenon.Toolstack.Domains;

namespace Xenon.Toolstack.Commands;

/// <summary>
/// <c>xenon vcpu-set [-i] DOMAIN N</c>: xl's syntax, but a domain's online vCPUs are fixed when it is built here
/// (no ACPI CPU hotplug yet), so only N equal to the current count succeeds; anything else is refused, saying so.
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
        if (n == d.Spec.Vcpus) return 0;
        stderr.WriteLine($"xenon vcpu-set: changing the number of online vCPUs is not supported: domain {d.Name} runs {d.Spec.Vcpus} " +
            "vCPUs, fixed when it was built (vcpus= and maxvcpus= in its config; vCPU hotplug is not implemented)");
        return CommandSupport.Failure;
    }
}
