using Xenon.Domain.Process;

namespace Xenon.Toolstack.XenStore;

/// <summary>
/// <c>xenon __domain DIR</c>: the detached domain process (<see cref="DomainProcess"/>), which on its way out also
/// removes its domain's XenStore nodes and fires @releaseDomain (Xenon.Domain knows nothing of XenStore), and at each
/// restart re-applies the domain's vCPU pins within its cpupool (<see cref="Scheduling.RestartPlacement"/>).
/// </summary>
public static class DomainProcessHost
{
    public static int Run(string runtimeDirectory, TextWriter log)
    {
        var dir = new DomainRuntimeDirectory(runtimeDirectory);
        int domId = 0;
        try
        {
            domId = DomainSpecJson.Deserialize(File.ReadAllText(dir.SpecFile), dir.SpecFile).DomId;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            // DomainProcess reports the unreadable spec itself.
        }
        int status = DomainProcess.Run(dir, log, (runner, logLine) => runner.Started += domain =>
        {
            foreach (var problem in Scheduling.RestartPlacement.Apply(dir, Environment.ProcessId, domain.Spec.Vcpus))
                logLine($"domain {domain.Spec.Name}: vCPU placement not restored: {problem}");
        });
        if (domId > 0) DomainStoreCleanup.Forget(ToolstackContext.FromEnvironment(), domId);
        return status;
    }
}
