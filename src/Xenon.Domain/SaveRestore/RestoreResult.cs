namespace Xenon.Domain.SaveRestore;

/// <summary>What a restore read, and how long it took from reading the records to the vCPUs running.</summary>
/// <param name="Duration">From <see cref="SavedDomainReader.RestoreInto"/> being called to the vCPUs running (or parked, with -p).</param>
public sealed record RestoreResult(ulong DataPages, ulong ZeroPages, int Devices, TimeSpan Duration)
{
    /// <summary>1: memory was read page by page; 2: memory images.</summary>
    public uint FormatVersion { get; init; } = 1;

    /// <summary>Guest memory mapped from the file (lazily: pages come in on first touch).</summary>
    public ulong MappedBytes { get; init; }

    /// <summary>Guest memory read from memory images at restore (regions that cannot be mapped).</summary>
    public ulong ReadBytes { get; init; }

    /// <summary>Reading and checking the records after the configuration (and, for version 1, the pages).</summary>
    public TimeSpan ReadTime { get; init; }

    /// <summary>Mapping (or reading) the memory images.</summary>
    public TimeSpan MapTime { get; init; }

    /// <summary>Starting the vCPU threads parked and applying the vCPU and platform state.</summary>
    public TimeSpan StateTime { get; init; }

    /// <summary>Applying the device states (and their RestoreCompleted: BARs, doorbells, queue kicks).</summary>
    public TimeSpan DevicesTime { get; init; }

    /// <summary>From <see cref="SavedDomainReader.Open"/> to the vCPUs running.</summary>
    public TimeSpan SinceOpen { get; init; }

    /// <summary>When the vCPUs were let run (or left parked, with -p): a <see cref="System.Diagnostics.Stopwatch"/>
    /// timestamp, so a caller timing from its own start (the request) ends restore-to-running there, not after the
    /// background check's start and the profile's formatting that follow it. 0 when not taken.</summary>
    public long RunningAt { get; init; }

    /// <summary>The apply's steps (<see cref="Xenon.Machine.State.RestoreProfile"/>): vCPU and platform state, each device's
    /// restore and completion, and the code the JIT compiled meanwhile. Empty when not taken.</summary>
    public string Profile { get; init; } = "";

    /// <summary>The background check of the mapped images (started); the caller disposes it before guest memory goes.
    /// Null when nothing was mapped.</summary>
    public MemoryImageVerifier? Verifier { get; init; }

    public override string ToString() =>
        $"{DataPages} data pages, {ZeroPages} zero pages, {Devices} devices in {Duration.TotalMilliseconds:0.0} ms " +
        $"(format {FormatVersion}; records {ReadTime.TotalMilliseconds:0.0} ms, memory {MapTime.TotalMilliseconds:0.0} ms: " +
        $"{MappedBytes >> 20} MiB mapped, {ReadBytes >> 20} MiB read; vCPU and platform state {StateTime.TotalMilliseconds:0.0} ms, " +
        $"devices {DevicesTime.TotalMilliseconds:0.0} ms; {SinceOpen.TotalMilliseconds:0.0} ms since the file was opened)" +
        (Profile.Length > 0 ? $"; apply: {Profile}" : "");
}
