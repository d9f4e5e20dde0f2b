using System.Diagnostics;
using Xenon.Domain;
using Xenon.Domain.Console;
using Xenon.Domain.Process;
using Xenon.Toolstack.Console;
using Xenon.Kvm.Terminal;
using Xenon.Toolstack.Cli;
using Xenon.Toolstack.Config;
using Xenon.Toolstack.XenStore;

namespace Xenon.Toolstack.Commands;

/// <summary>
/// <c>xenon create</c>: parse the config, then run the domain. With -F the domain runs in this
/// process (its console on our terminal with -c) and the exit status says how the guest ended.
/// Otherwise a detached domain process is started; with -c we attach to its console (Ctrl-]
/// detaches and leaves it running; if the guest ends first, the status says how).
/// </summary>
public static class CreateCommand
{
    public const int ExitError = 1;

    /// <summary>The file in a detached domain's runtime directory that names its log (so a rename keeps finding it).</summary>
    public const string LogPathFile = "log";

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr) =>
        Run(args, stdout, stderr, ToolstackContext.FromEnvironment());

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, ToolstackContext context)
    {
        CreateOptions options;
        try
        {
            options = CreateOptions.Parse(args);
        }
        catch (UsageException e)
        {
            stderr.WriteLine(e.Message);
            stderr.WriteLine(e.Usage);
            return ExitError;
        }
        if (options.Help)
        {
            stdout.WriteLine(CreateOptions.Usage);
            return 0;
        }

        var trace = CreateTrace.Start(stderr);
        DomainConfig config;
        try
        {
            if (!options.Quiet) stderr.WriteLine($"Parsing config from {options.ConfigFile}");
            config = DomainConfigReader.Load(options.ConfigFile!, options.Overrides);
        }
        catch (ConfigException e)
        {
            stderr.WriteLine(e.Message);
            return ExitError;
        }
        trace?.Mark("config parsed");
        foreach (var w in config.Warnings) stderr.WriteLine(w.ToString());
        // /proc/cpuinfo once: the pool table, XenStore and placement would each read it again.
        int hostCpus = HostInfo.ReadCpuCount();
        context = context.HostCpus is null ? context with { HostCpus = hostCpus } : context;
        if (ReadPlacement(config, hostCpus, stderr) is not { } affinity) return ExitError;
        if (ReadPool(config, context, stderr) is not { } pool) return ExitError;
        trace?.Mark("placement and pool checked");

        if (options.DryRun)
        {
            stdout.WriteLine(DomainConfigJson.ToJson(config));
            return 0;
        }

        if (!options.Foreground)
            return StartDetached(options, config, affinity, pool, stderr, context, trace);

        // A foreground domain is registered like a detached one (its runtime directory names this process),
        // so that it holds its name and domain id while it runs.
        if (DomainLaunch.Register(Registration(config), context.RunRoot, DomainLaunch.ToStderr(stderr)) is not { } spec) return ExitError;
        trace?.Mark("domain id reserved, runtime directory written");
        var runtime = context.DirectoryFor(spec.Name);
        PublishToXenStore(context, stderr);
        trace?.Mark("XenStore records published");
        // This process is the domain's: its vCPU threads appear while RunForeground builds the machine.
        var self = new Domains.LiveDomain(spec.Name, spec.DomId, spec, Environment.ProcessId, runtime);
        new Thread(() => ApplyPlacement(context, self, config, affinity, pool, TimeSpan.FromSeconds(120), stderr))
            { IsBackground = true, Name = "placement" }.Start();
        int status = RunForeground(spec, runtime, options.Console, stderr, trace);
        runtime.WriteFile("outcome", $"Foreground {status}\n");
        DomainStoreCleanup.Forget(context, spec.DomId);
        return status;
    }

    // libxl writes a new domain's nodes before it runs. The domain's runtime directory is live by now, so bringing
    // XenStore in line with the running domains writes its nodes (in one transaction) and introduces it. If no
    // xenstored runs yet, one is started and does that itself as it comes up; the domain does not wait for it.
    private static void PublishToXenStore(ToolstackContext context, TextWriter stderr) =>
        XenStoreLauncher.PublishOrStartInBackground(context, stderr);

    private static DomainLaunch.Registration Registration(DomainConfig config) =>
        new(config.Name, id => DomainSpecFactory.FromConfig(config, id), (dir, spec) => Publish(dir, spec, config),
            $"{DomainRuntimeDirectory.Root} (set XENON_RUN_DIR to use another directory)");

    // The runtime directory names this process until a domain process (detached case) writes its own pid.
    // config.json is libxl's view of the domain (create -n's JSON), which list -l prints.
    private static void Publish(DomainRuntimeDirectory dir, DomainSpec spec, DomainConfig config)
    {
        DomainRuntimeDirectory.WriteAtomically(dir.SpecFile, DomainSpecJson.Serialize(spec));
        DomainRuntimeDirectory.WriteAtomically(System.IO.Path.Combine(dir.Path, ListCommand.LibxlConfigFile), DomainConfigJson.ToJson(config));
        DomainRuntimeDirectory.WriteAtomically(dir.PidFile, $"{Environment.ProcessId}\n");
    }

    private static int RunForeground(DomainSpec spec, DomainRuntimeDirectory runtime, bool attachConsole, TextWriter stderr, CreateTrace? trace)
    {
        var log = new Action<string>(m => stderr.WriteLine($"xenon: {m}"));
        var runner = new DomainRunner(spec, log);
        // A restart makes new vCPU threads: they get their pins again (the first start is ApplyPlacement's).
        runner.Started += domain =>
        {
            foreach (var problem in Scheduling.RestartPlacement.Apply(runtime, Environment.ProcessId, domain.Spec.Vcpus))
                log($"domain {spec.Name}: vCPU placement not restored: {problem}");
        };
        // The control socket makes shutdown, destroy and mem-set work on a foreground domain too.
        using var control = new ControlServer(runner, runtime.ControlSocket, runtime.MoveTo);
        trace?.Mark("control socket listening");
        using var stdoutStream = global::System.Console.OpenStandardOutput();
        var terminalOut = new StreamConsoleOutput(stdoutStream);
        RawTerminalMode? raw = null;
        if (attachConsole)
        {
            runner.Console.Attach(terminalOut);
            raw = RawTerminalMode.Enter(0);
            var pump = new ConsoleInputPump(global::System.Console.OpenStandardInput(), () => runner.Current?.Platform.Serial);
            pump.Ended += escaped =>
            {
                if (!escaped) return;
                runner.Console.Detach(terminalOut);
                raw?.Dispose();
                log("console detached (Ctrl-]); the domain keeps running in this process until it ends");
            };
            pump.Start();
        }

        using var sigterm = global::System.Runtime.InteropServices.PosixSignalRegistration.Create(
            global::System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; runner.Destroy(); });
        trace?.Mark("console and signals set up");
        try
        {
            var outcome = runner.Run();
            raw?.Dispose();
            if (outcome.Reason == Machine.ShutdownReason.Crash)
            {
                log($"domain {spec.Name} crashed: {outcome.Detail}");
                if (!attachConsole) stderr.WriteLine("last console output:\n" + runner.History.Tail());
            }
            return outcome.ExitStatus;
        }
        catch (Exception e) when (e is DomainBuildException or Machine.Boot.BootException or Kvm.KvmException
                                       or IOException or UnauthorizedAccessException)
        {
            raw?.Dispose();
            stderr.WriteLine($"xenon: cannot start domain {spec.Name}: {e.Message}");
            return ExitError;
        }
    }

    // xl's default: the domain lives on after the command returns. The domain process is this same
    // program (`xenon __domain DIR`) in its own session; it is handed the parsed spec as JSON and
    // reports back through files in DIR (DomainRuntimeDirectory). We wait until the guest runs, so
    // errors such as an unreadable kernel are reported here, as xl does.
    // cpu_weight, cap and cpus (docs/scheduling.md): checked before anything starts, as xl does.
    private static List<string?>? ReadPlacement(DomainConfig config, int hostCpus, TextWriter stderr)
    {
        if (Scheduling.SchedParams.Validate(config.CpuWeight ?? Scheduling.SchedParams.DefaultWeight, config.Cap ?? 0,
                Math.Max(config.MaxVcpus, config.Vcpus)) is { } problem)
        {
            stderr.WriteLine($"{config.Source}: {(config.Cap is not null && problem.Contains("cap", StringComparison.Ordinal) ? "cap" : "cpu_weight")}: {problem}");
            return null;
        }
        var affinity = Scheduling.DomainScheduling.AffinityFromConfig(config.Cpus, Math.Max(config.MaxVcpus, config.Vcpus),
            hostCpus, out string? error);
        if (affinity is null) stderr.WriteLine($"{config.Source}:{config.Cpus?.Line}: cpus: {error}");
        return affinity;
    }

    // xl.cfg pool=: the pool must exist and have CPUs (libxl refuses an unknown one before building anything).
    private static int? ReadPool(DomainConfig config, ToolstackContext context, TextWriter stderr)
    {
        if (config.Pool is null) return Scheduling.CpuPool.Pool0Id;
        var pool = context.LoadPools().Find(config.Pool);
        if (pool is null)
        {
            stderr.WriteLine($"{config.Source}: pool: Illegal pool specified: {config.Pool} (xenon cpupool-list shows the pools)");
            return null;
        }
        if (pool.Cpus.Count == 0)
        {
            stderr.WriteLine($"{config.Source}: pool: cpupool {pool.Name} has no CPUs (xenon cpupool-cpu-add {pool.Name} CPUS)");
            return null;
        }
        return pool.Id;
    }

    private static void ApplyPlacement(ToolstackContext context, Domains.LiveDomain d, DomainConfig config, List<string?> affinity,
        int pool, TimeSpan wait, TextWriter stderr)
    {
        foreach (var w in Scheduling.DomainScheduling.ApplyAtCreate(context, d, config.CpuWeight, config.Cap, affinity, wait, pool))
            stderr.WriteLine($"xenon: warning: domain {d.Name}: {w}");
    }

    private static int StartDetached(CreateOptions options, DomainConfig config, List<string?> affinity, int pool, TextWriter stderr, ToolstackContext context,
        CreateTrace? trace)
    {
        // The pid file is written by the domain process; until then this process holds the directory.
        if (DomainLaunch.Start(Registration(config), context, stderr, DomainLaunch.ToStderr(stderr),
                mark: trace is null ? null : trace.Mark) is not { } started)
            return ExitError;
        var (spec, dir, logFile) = (started.Spec, started.Dir, started.LogFile);
        using var domainProcess = started.Process;

        string? state = DomainProcessLauncher.WaitForState(dir, domainProcess, DomainProcessLauncher.StartTimeout);
        trace?.Mark("domain process reported its state");
        if (state is null)
        {
            bool exited = domainProcess.HasExited;
            if (!exited) DomainProcessLauncher.Abandon(domainProcess);
            stderr.WriteLine(exited
                ? $"xenon: the domain process for {config.Name} exited ({domainProcess.ExitCode}) without starting the domain; log: {logFile}"
                : $"xenon: domain {config.Name} did not report that it started within {DomainProcessLauncher.StartTimeout.TotalSeconds:0} s; stopped its domain process; log: {logFile}");
            DomainStoreCleanup.Forget(context, spec.DomId);
            return ExitError;
        }
        if (state.StartsWith("error: ", StringComparison.Ordinal))
        {
            stderr.WriteLine($"xenon: cannot start domain {config.Name}: {state["error: ".Length..]}");
            DomainStoreCleanup.Forget(context, spec.DomId);
            return ExitError;
        }
        if (new Domains.DomainRegistry(context).Find(config.Name) is { } live)
            ApplyPlacement(context, live, config, affinity, pool, TimeSpan.FromSeconds(10), stderr);
        if (!options.Console)
        {
            if (!options.Quiet) stderr.WriteLine($"Started domain {config.Name} (log: {logFile})");
            return 0;
        }
        return ConsoleClient.Attach(dir, stderr) ?? 0;
    }
}
