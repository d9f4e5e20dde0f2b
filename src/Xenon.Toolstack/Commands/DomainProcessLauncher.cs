using System.Diagnostics;
using Xenon.Domain.Process;

namespace Xenon.Toolstack.Commands;

/// <summary>Starts a detached domain process (<c>xenon __domain DIR</c>) for create and restore, and waits for the
/// state it reports in its runtime directory.</summary>
internal static class DomainProcessLauncher
{
    /// <summary>setsid (not a process-group leader here, so it does not fork) makes the domain process the leader of a
    /// new session: it outlives the command and its terminal. Its output goes to <paramref name="logFile"/>.</summary>
    public static Process Start(DomainRuntimeDirectory dir, string logFile)
    {
        var psi = new ProcessStartInfo("setsid") { UseShellExecute = false };
        foreach (var a in new[] { "sh", "-c", "exec \"$@\" __domain \"$XENON_DOMAIN_DIR\" </dev/null >>\"$XENON_DOMAIN_LOG\" 2>&1", "sh" })
            psi.ArgumentList.Add(a);
        foreach (var a in SelfCommand.Get()) psi.ArgumentList.Add(a);
        psi.Environment["XENON_DOMAIN_DIR"] = dir.Path;
        psi.Environment["XENON_DOMAIN_LOG"] = logFile;
        return Process.Start(psi) ?? throw new InvalidOperationException("cannot start the domain process");
    }

    /// <summary>How long create and restore wait for a new domain process to report its state: generous, because
    /// a JIT-compiled domain process on a loaded or emulated host can take minutes to build its machine.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(300);

    /// <summary>Ends a domain process that did not report a state in time, so no domain runs that the toolstack
    /// has already given up on (and forgotten in XenStore).</summary>
    public static void Abandon(Process domainProcess)
    {
        try
        {
            if (domainProcess.HasExited) return;
            domainProcess.Kill();
            domainProcess.WaitForExit(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException) { }
        catch (System.ComponentModel.Win32Exception) { }
    }

    /// <summary>The first line the domain process wrote to its state file ("running", "error: …"), or null if it
    /// exited without one or <paramref name="timeout"/> passed.</summary>
    public static string? WaitForState(DomainRuntimeDirectory dir, Process domainProcess, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            bool exited = domainProcess.HasExited;
            try
            {
                if (File.Exists(dir.StateFile)) return File.ReadAllText(dir.StateFile).Trim();
            }
            catch (IOException) { }
            if (exited) return null;
            Thread.Sleep(5);
        }
        return null;
    }
}
