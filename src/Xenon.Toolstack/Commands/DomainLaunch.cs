using System.Diagnostics;
using Xenon.Domain;
using Xenon.Domain.Process;
using Xenon.Toolstack.XenStore;

namespace Xenon.Toolstack.Commands;

/// <summary>
/// The steps every command that brings a domain up in its own domain process shares (create, restore, restore
/// --prepare, migrate-receive): register the domain under its name with a new id, name its log, publish it to
/// XenStore and start the domain process. What each command then waits for differs and stays with it.
/// </summary>
internal static class DomainLaunch
{
    /// <summary>How a refused registration is told. <paramref name="reason"/> is the whole reason (name in use: the
    /// allocator's message; an I/O failure: "cannot register domain NAME under WHERE: …").</summary>
    public delegate void Refusal(string reason, bool nameInUse);

    /// <summary>A registered domain whose domain process was started. The caller disposes <see cref="Process"/>.</summary>
    public sealed record Started(DomainSpec Spec, DomainRuntimeDirectory Dir, string LogFile, Process Process);

    /// <summary>What <see cref="Register"/> needs to hold a name: the spec for the id it gets, the files that make the
    /// runtime directory the domain's, and where the registry is (as the refusal names it).</summary>
    public sealed record Registration(string Name, Func<int, DomainSpec> MakeSpec, Action<DomainRuntimeDirectory, DomainSpec> Publish, string Where);

    /// <summary>The usual <see cref="Registration.Publish"/>: the spec, then the pid file naming this process (which makes
    /// the directory live), then <paramref name="request"/>'s file telling the domain process what to do instead of
    /// booting (restore, prepare, migrate in).</summary>
    public static Action<DomainRuntimeDirectory, DomainSpec> SpecPidAnd(Action<DomainRuntimeDirectory> request) => (dir, spec) =>
    {
        DomainRuntimeDirectory.WriteAtomically(dir.SpecFile, DomainSpecJson.Serialize(spec));
        DomainRuntimeDirectory.WriteAtomically(dir.PidFile, $"{Environment.ProcessId}\n");
        request(dir);
    };

    /// <summary>Told as "xenon: REASON" on <paramref name="stderr"/>, as xl tells a create or restore it refuses.</summary>
    public static Refusal ToStderr(TextWriter stderr) => (reason, _) => stderr.WriteLine($"xenon: {reason}");

    /// <summary>Reserves the name and an id under the allocator's lock; null (after <paramref name="refuse"/>) if the
    /// name is held by a live domain or the runtime directory cannot be written.</summary>
    public static DomainSpec? Register(Registration registration, string runRoot, Refusal refuse)
    {
        try
        {
            return DomIdAllocator.Reserve(registration.Name, registration.MakeSpec, registration.Publish, runRoot);
        }
        catch (DomainNameInUseException e)
        {
            refuse(e.Message, nameInUse: true);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            refuse($"cannot register domain {registration.Name} under {registration.Where}: {e.Message}", nameInUse: false);
            return null;
        }
    }

    /// <summary>Registers the domain, then names its log in its runtime directory, publishes it to XenStore (starting a
    /// xenstored in the background if none runs) and starts its detached domain process. Null if the registration
    /// was refused (nothing is left behind then).</summary>
    /// <param name="registered">Runs once the id is held (a -d print of the spec, a progress line).</param>
    /// <param name="mark">Named steps for create's -vvv trace; null: none.</param>
    public static Started? Start(Registration registration, ToolstackContext context, TextWriter stderr, Refusal refuse,
        Action<DomainSpec>? registered = null, Action<string>? mark = null)
    {
        if (Register(registration, context.RunRoot, refuse) is not { } spec) return null;
        registered?.Invoke(spec);
        var dir = context.DirectoryFor(spec.Name);
        Directory.CreateDirectory(context.LogDir);
        string logFile = context.LogFileFor(spec.Name);
        dir.WriteFile(CreateCommand.LogPathFile, logFile + "\n");
        mark?.Invoke("domain id reserved, runtime directory written");
        XenStoreLauncher.PublishOrStartInBackground(context, stderr);
        mark?.Invoke("XenStore records published");
        var process = DomainProcessLauncher.Start(dir, logFile);
        mark?.Invoke("domain process started");
        return new Started(spec, dir, logFile, process);
    }

    /// <summary>Waits for the started domain process's state line; a process that says nothing in time is stopped (no
    /// domain may run that the command reports as failed). The process handle is released either way.</summary>
    /// <returns>The state line, or null if none came within <paramref name="timeout"/>.</returns>
    public static string? WaitForState(Started started, TimeSpan timeout)
    {
        using var process = started.Process;
        string? state = DomainProcessLauncher.WaitForState(started.Dir, process, timeout);
        if (state is null) DomainProcessLauncher.Abandon(process);
        return state;
    }
}
