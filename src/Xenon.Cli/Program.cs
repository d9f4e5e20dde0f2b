using Xenon.Toolstack;
using Xenon.Toolstack.Commands;
using Xenon.Toolstack.XenStore;

namespace Xenon.Cli;

internal static class Program
{
    private const string Usage = """
        Usage: xenon <subcommand> [args]

        Subcommands:
          create [-F] [-c] [-n] CONFIG [key=value ...]   create a domain from an xl.cfg file
          list [-l] [-v] [-c] [DOMAIN]                    list domains (xl list's table; -l JSON, -v UUIDs, -c cpupools)
          shutdown [-w] DOMAIN                            press the domain's ACPI power button (-w: wait until it is gone)
          pause DOMAIN                                    stop the domain's vCPUs (unpause lets them run on)
          unpause DOMAIN                                  let a paused domain run on
          reboot [-F] DOMAIN                              reset the domain (its on_reboot action applies)
          destroy DOMAIN                                  stop the domain at once
          save [-c] DOMAIN FILE                           save the domain to FILE and end it (-c: keep it running)
          restore [-p] [-c] FILE                          continue a saved domain (-p: paused, -c: attach the console)
          restore --prepare CONFIG                        build CONFIG's domain now, parked; the next restore of its name goes into it
          migrate [-s SSHCOMMAND] [-p] DOMAIN HOST        move the running domain live to HOST (or tcp:ADDR:PORT)
          migrate-receive [--listen ADDR:PORT]            the receiving end of a migration (stdin/stdout, or one TCP connection)
          console [-t pv|serial] [-n 0] DOMAIN            attach to the domain's console (Ctrl-] detaches)
          mem-set DOMAIN MEM                              set the domain's memory target (the balloon), MEM in MiB or 512m, 1g
          rename DOMAIN NEWNAME                           rename a running domain
          domid NAME                                      print the domain id of a domain name
          domname ID                                      print the name of a domain id
          uptime [-s] [DOMAIN ...]                        how long domains have run
          vcpu-list [DOMAIN ...]                          the domains' vCPUs: host CPU, state, time, affinity
          vcpu-pin [-f] DOMAIN VCPU|all CPUS [-|all]      pin vCPUs to host CPUs (hard affinity)
          vcpu-set DOMAIN N                               refused unless N is the current count (no vCPU hotplug)
          mem-max DOMAIN MEM                              the ceiling mem-set may not go above
          sched-credit [-d DOMAIN [-w WEIGHT] [-c CAP]]   the domains' weights and caps (credit2: sched-credit2)
          cpupool-list [-c] [POOL]                        the cpupools (-c: their CPUs)
          cpupool-create [CONFIG] [key=value ...]         a new cpupool of free CPUs (name=, sched=, cpus=)
          cpupool-destroy POOL / cpupool-rename POOL NEW  remove an empty cpupool / rename one
          cpupool-cpu-add POOL CPUS                       add free CPUs to a cpupool (cpupool-cpu-remove frees them)
          cpupool-migrate DOMAIN POOL                     move a domain to another cpupool
          top [-b] [-i N] [-d DELAY]                      xentop's live table of the domains' CPU, memory, network and disk use
          info [KEY]                                      facts about the host (xl info)
          log [-n LINES] DOMAIN                           the domain's log (xl dmesg shows the hypervisor's; see docs/cli.md)
          help                                            this text

        DOMAIN is a domain name or id. See docs/cli.md.
        """;

    private static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "help" or "-h" or "--help")
        {
            Console.Out.WriteLine(Usage);
            return args.Length == 0 ? 1 : 0;
        }
        var rest = args.AsSpan(1).ToArray();
        var o = Console.Out;
        var e = Console.Error;
        switch (args[0])
        {
            case "create":
                return CreateCommand.Run(rest, o, e);
            case "list":
                return ListCommand.Run(rest, o, e, ToolstackContext.FromEnvironment());
            case "shutdown":
                return DomainControlCommands.Shutdown(rest, e);
            case "pause":
                return DomainControlCommands.Pause(rest, e, ToolstackContext.FromEnvironment());
            case "unpause":
                return DomainControlCommands.Unpause(rest, e, ToolstackContext.FromEnvironment());
            case "reboot":
                return DomainControlCommands.Reboot(rest, e, ToolstackContext.FromEnvironment());
            case "destroy":
                return DomainControlCommands.Destroy(rest, e);
            case "save":
                return SaveCommand.Run(rest, e, ToolstackContext.FromEnvironment());
            case "restore":
                return RestoreCommand.Run(rest, e, ToolstackContext.FromEnvironment());
            case "migrate":
                return MigrateCommand.Run(rest, e, ToolstackContext.FromEnvironment());
            case "migrate-receive":
                return MigrateReceiveCommand.Run(rest, e, ToolstackContext.FromEnvironment());
            case "console":
                return ConsoleCommand.Run(rest, e, ToolstackContext.FromEnvironment());
            case "mem-set":
                return DomainControlCommands.MemSet(rest, e);
            case "rename":
                return RenameCommand.Run(rest, e, ToolstackContext.FromEnvironment());
            case "domid":
                return DomainQueryCommands.DomId(rest, o, e, ToolstackContext.FromEnvironment());
            case "domname":
                return DomainQueryCommands.DomName(rest, o, e, ToolstackContext.FromEnvironment());
            case "uptime":
                return DomainQueryCommands.Uptime(rest, o, e, ToolstackContext.FromEnvironment());
            case "vcpu-list":
                return VcpuListCommand.Run(rest, o, e, ToolstackContext.FromEnvironment());
            case "vcpu-pin":
                return VcpuPinCommand.Run(rest, e, ToolstackContext.FromEnvironment());
            case "vcpu-set":
                return VcpuSetCommand.Run(rest, e, ToolstackContext.FromEnvironment());
            case "mem-max":
                return MemMaxCommand.Run(rest, e, ToolstackContext.FromEnvironment());
            case "sched-credit":
                return SchedCreditCommand.Run(rest, o, e, ToolstackContext.FromEnvironment(), credit2: false);
            case "sched-credit2":
                return SchedCreditCommand.Run(rest, o, e, ToolstackContext.FromEnvironment(), credit2: true);
            case "cpupool-list":
                return CpupoolCommands.List(rest, o, e, ToolstackContext.FromEnvironment());
            case "cpupool-create":
                return CpupoolCommands.Create(rest, o, e, ToolstackContext.FromEnvironment());
            case "cpupool-destroy":
                return CpupoolCommands.Destroy(rest, e, ToolstackContext.FromEnvironment());
            case "cpupool-rename":
                return CpupoolCommands.Rename(rest, e, ToolstackContext.FromEnvironment());
            case "cpupool-cpu-add":
                return CpupoolCommands.CpuAdd(rest, e, ToolstackContext.FromEnvironment());
            case "cpupool-cpu-remove":
                return CpupoolCommands.CpuRemove(rest, e, ToolstackContext.FromEnvironment());
            case "cpupool-migrate":
                return CpupoolCommands.Migrate(rest, e, ToolstackContext.FromEnvironment());
            case "top":
                return TopCommand.Run(rest, o, e, ToolstackContext.FromEnvironment());
            case "info":
                return InfoCommand.Run(rest, o, e, ToolstackContext.FromEnvironment());
            case "log":
                return LogCommand.Run(rest, o, e, ToolstackContext.FromEnvironment());
            case "__domain" when rest.Length == 1:
                // internal: the body of a detached domain process (started by create)
                return DomainProcessHost.Run(rest[0], o);
            case "__xenstored":
                // internal: xenstored, started on demand by the first command that needs XenStore
                return XenStoredProcess.Run(rest, o);
            default:
                e.WriteLine($"xenon: unknown subcommand '{args[0]}'");
                e.WriteLine(Usage);
                return 1;
        }
    }
}
