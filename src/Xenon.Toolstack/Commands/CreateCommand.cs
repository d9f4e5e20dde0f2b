using System.Diagnostics;
using Xenon.Domain;
using Xenon.Domain.Console;
using Xenon.Kvm.Terminal;
using Xenon.Toolstack.Cli;
using Xenon.Toolstack.Config;

namespace Xenon.Toolstack.Commands;

/// <summary>
/// <c>xenon create</c>: parse the config, then run the domain. With -F or -c the domain runs in
/// this process (its console on our terminal with -c) and the exit status says how the guest
/// ended; otherwise a detached domain process is started and we return at once.
/// </summary>
public static class CreateCommand
{
    public const int ExitError = 1;

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
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
        foreach (var w in config.Warnings) stderr.WriteLine(w.ToString());

        if (options.DryRun)
        {
            stdout.WriteLine(DomainConfigJson.ToJson(config));
            return 0;
        }

        if (!options.Foreground && !options.Console)
            return StartDetached(options, config, stderr);

        var spec = DomainSpecFactory.FromConfig(config, domId: 1);
        return RunForeground(spec, options.Console, stderr);
    }

    private static int RunForeground(DomainSpec spec, bool attachConsole, TextWriter stderr)
    {
        var log = new Action<string>(m => stderr.WriteLine($"xenon: {m}"));
        var runner = new DomainRunner(spec, log);
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

        using var sigint = global::System.Runtime.InteropServices.PosixSignalRegistration.Create(
            global::System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; runner.Destroy(); });
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
    // program in foreground mode, in its own session, logging to /var/log/xenon/NAME.log.
    private static int StartDetached(CreateOptions options, DomainConfig config, TextWriter stderr)
    {
        string logDir = Environment.GetEnvironmentVariable("XENON_LOG_DIR") ?? "/var/log/xenon";
        Directory.CreateDirectory(logDir);
        string logFile = Path.Combine(logDir, $"{config.Name}.log");
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find the xenon executable");
        var psi = new ProcessStartInfo("setsid")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = false,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-f");
        psi.ArgumentList.Add("sh");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec \"$0\" \"$@\" </dev/null >>\"$XENON_DOMAIN_LOG\" 2>&1");
        psi.ArgumentList.Add(self);
        psi.ArgumentList.Add("create");
        psi.ArgumentList.Add("-F");
        psi.ArgumentList.Add("-q");
        psi.ArgumentList.Add(Path.GetFullPath(options.ConfigFile!));
        foreach (var o in options.Overrides) psi.ArgumentList.Add(o);
        psi.Environment["XENON_DOMAIN_LOG"] = logFile;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start the domain process");
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            stderr.WriteLine($"xenon: failed to start the domain process for {config.Name} (setsid exit {p.ExitCode})");
            return ExitError;
        }
        if (!options.Quiet) stderr.WriteLine($"Domain {config.Name} started; log: {logFile}");
        return 0;
    }
}
