using Xenon.Domain.Process;

namespace Xenon.Toolstack.XenStore;

/// <summary>
/// <c>xenon __domain DIR</c>: the detached domain process (<see cref="DomainProcess"/>), which on its way out also
/// removes its domain's XenStore nodes and fires @releaseDomain (Xenon.Domain knows nothing of XenStore).
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
        int status = DomainProcess.Run(dir, log);
        if (domId > 0) DomainStoreCleanup.Forget(ToolstackContext.FromEnvironment(), domId);
        return status;
    }
}
