namespace Xenon.Domain.SaveRestore;

/// <summary>What a restore read, and how long it took from the first page to the vCPUs running.</summary>
public sealed record RestoreResult(ulong DataPages, ulong ZeroPages, int Devices, TimeSpan Duration)
{
    public override string ToString() =>
        $"{DataPages} data pages, {ZeroPages} zero pages, {Devices} devices in {Duration.TotalMilliseconds:0.0} ms";
}
