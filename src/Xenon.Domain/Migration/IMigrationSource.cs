using Xenon.Domain.SaveRestore;

namespace Xenon.Domain.Migration;

/// <summary>What <see cref="MigrationSender"/> needs of a running domain: what a save needs, and a log of the pages
/// written (by the vCPUs and by device models) since the last look. <see cref="DomainMigrationSource"/> is the real one.</summary>
public interface IMigrationSource : ISaveSource
{
    /// <summary>Starts logging writes to guest memory; pages written before this call are not reported.</summary>
    void StartDirtyLog();

    /// <summary>Writes the pfns of the pages written since <see cref="StartDirtyLog"/> or the previous call into
    /// <paramref name="pfns"/> (ascending; the buffer holds one entry per page of guest RAM), clears the log, and returns
    /// how many there are.</summary>
    int CollectDirtyPages(ulong[] pfns);

    /// <summary>Stops logging writes. Safe to call when the log is not running.</summary>
    void StopDirtyLog();
}
