namespace Xenon.Domain.SaveRestore;

/// <summary>Start a domain from a saved file (xl restore FILE), left paused with <paramref name="Paused"/> (-p).</summary>
public sealed record RestoreRequest(string Path, bool Paused)
{
    /// <summary>xl restore -e: nobody watches for the domain's death, so its on_* restart actions do not happen: it ends
    /// for good at its first shutdown, reboot or crash.</summary>
    public bool NoMonitor { get; init; }
}
