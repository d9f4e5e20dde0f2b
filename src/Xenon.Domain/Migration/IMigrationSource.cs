using Xenon.Domain.SaveRestore;
using Xenon.Machine.State;

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

    /// <summary>A machine state for <see cref="MigrationWarmup.WarmSender"/> to encode before the pause: only parts that
    /// can be read while the guest runs, without changing anything (the rest synthetic); null: an all-synthetic one.</summary>
    MachineState? LiveWarmupState() => null;

    /// <summary>Whether every device's SaveState may run, for a copy the warm-up throws away, while the domain runs:
    /// each takes a snapshot under its own lock and changes nothing (a snapshot torn by a running I/O thread does not
    /// matter there). False: the warm-up writes stand-in blobs instead.</summary>
    bool DeviceStatesReadableLive => false;
}
